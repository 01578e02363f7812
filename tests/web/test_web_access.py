"""The web application's rules, as each role meets them: every route, every role,
foreign ids, CSRF, sessions, lockout and security headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kenshin.cli.demo import demo_file
from kenshin.domain import Finding, FindingCategory, FindingSubject, Severity
from kenshin.intake import read_file
from kenshin.store import EngagementRepository, FindingRepository, finding_fingerprint, open_store
from kenshin.web import Accounts, Role, create_app

PASSWORD = "correct horse battery"


def _other_hospital() -> object:
    import dataclasses

    demo = read_file(demo_file())
    return dataclasses.replace(
        demo,
        code="other-2026",
        title="別病院の調査",
        institution=dataclasses.replace(demo.institution, name="別病院"),
        connection_points=tuple(
            dataclasses.replace(
                p,
                addresses=tuple(
                    dataclasses.replace(
                        a, address=type(a.address)(str(a.address).replace("198.18.", "198.19."))
                    )
                    for a in p.addresses
                ),
            )
            for p in demo.connection_points
        ),
    )


FINDINGS = {
    "utm": Finding(
        "vulnerability.cve",
        FindingCategory.VULNERABILITY,
        Severity.CRITICAL,
        "FortiOS の脆弱性",
        "FortiOS vulnerability",
        FindingSubject(device_key="DEV-01"),
        cves=("CVE-2023-27997",),
        kev=True,
    ),
    "telnet": Finding(
        "exposure.telnet",
        FindingCategory.EXPOSURE,
        Severity.HIGH,
        "Telnet公開",
        "Telnet exposed",
        FindingSubject(address="198.18.20.20", port=23, protocol="tcp"),
    ),
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    store = open_store(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    with store.session() as session:
        repository = EngagementRepository(session)
        repository.save(read_file(demo_file()))
        repository.save(_other_hospital())  # type: ignore[arg-type]
        FindingRepository(session).record("demo-2026", FINDINGS.values())
        FindingRepository(session).record("other-2026", FINDINGS.values())
        accounts = Accounts(session)
        surveyor = accounts.create_user("surveyor@kenshin.example", PASSWORD, Role.SURVEYOR)
        tokens = {
            "hospital": accounts.invite(
                surveyor, "it@demo-hospital.example", Role.HOSPITAL, "demo-2026"
            ),
            "vendor_net": accounts.invite(
                surveyor, "net@vendor.example", Role.VENDOR, "demo-2026", "V-NET"
            ),
            "vendor_ehr": accounts.invite(
                surveyor, "ehr@vendor.example", Role.VENDOR, "demo-2026", "V-EHR"
            ),
        }
        accounts.accept_invitation(tokens["hospital"], PASSWORD, "情報 太郎")
        accounts.accept_invitation(tokens["vendor_net"], PASSWORD)
        accounts.accept_invitation(tokens["vendor_ehr"], PASSWORD)
    client = TestClient(create_app(store), base_url="https://testserver")  # Secure cookies
    emails = {
        "surveyor": "surveyor@kenshin.example",
        "hospital": "it@demo-hospital.example",
        "vendor_net": "net@vendor.example",
        "vendor_ehr": "ehr@vendor.example",
    }
    yield client, emails
    store.dispose()


def login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the real form; returns the session's CSRF token."""
    client.cookies.clear()
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert token is not None
    response = client.post(
        "/login",
        data={"email": email, "password": password, "login_csrf": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get("/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return csrf.group(1)


ROUTES = [
    ("GET", "/engagements/{code}"),
    ("GET", "/api/engagements/{code}"),
    ("GET", "/api/engagements/{code}/findings"),
]


@pytest.mark.parametrize("role", ["surveyor", "hospital", "vendor_net", "vendor_ehr"])
def test_role_route_matrix(world: tuple[TestClient, dict[str, str]], role: str) -> None:
    client, emails = world
    login(client, emails[role])
    for method, route in ROUTES:
        own = client.request(method, route.format(code="demo-2026"))
        foreign = client.request(method, route.format(code="other-2026"))
        missing = client.request(method, route.format(code="no-such-engagement"))
        assert own.status_code == 200, (role, route)
        assert foreign.status_code == (200 if role == "surveyor" else 404), (role, route)
        assert missing.status_code == 404
    listed = {e["code"] for e in client.get("/api/engagements").json()}
    assert listed == ({"demo-2026", "other-2026"} if role == "surveyor" else {"demo-2026"})


TABS = ("hearing", "terminals", "diagram", "requests", "report", "jobs")


@pytest.mark.parametrize("role", ["surveyor", "hospital", "vendor_net"])
def test_tabs_are_the_pages_the_role_may_open(
    world: tuple[TestClient, dict[str, str]], role: str
) -> None:
    """The tabs ask the one table of rules (``access.may``): each tab shown opens, and
    each tab page that would answer 404 is not shown."""
    client, emails = world
    login(client, emails[role])
    page = client.get("/engagements/demo-2026").text
    for tab in TABS:
        shown = f'href="/engagements/demo-2026/{tab}"' in page
        opens = client.get(f"/engagements/demo-2026/{tab}").status_code == 200
        assert shown == opens, (role, tab, shown, opens)


def test_vendor_sees_only_its_own_findings(world: tuple[TestClient, dict[str, str]]) -> None:
    client, emails = world
    login(client, emails["vendor_net"])
    titles = {f["title_en"] for f in client.get("/api/engagements/demo-2026/findings").json()}
    assert titles == {"FortiOS vulnerability"}
    login(client, emails["vendor_ehr"])
    titles = {f["title_en"] for f in client.get("/api/engagements/demo-2026/findings").json()}
    assert titles == {"Telnet exposed"}
    details = client.get("/api/engagements/demo-2026").json()
    assert "connection_points" not in details  # vendors do not get the whole engagement


def test_triage_rules_and_csrf(world: tuple[TestClient, dict[str, str]]) -> None:
    client, emails = world
    fingerprint = finding_fingerprint(FINDINGS["telnet"])
    url = f"/api/engagements/demo-2026/findings/{fingerprint}/status"
    csrf = login(client, emails["hospital"])
    assert (
        client.post(url, json={"status": "accepted"}, headers={"X-CSRF-Token": csrf}).status_code
        == 404
    )
    assert client.post(url, json={"status": "fixed"}).status_code == 403  # no CSRF token
    assert (
        client.post(url, json={"status": "fixed"}, headers={"X-CSRF-Token": "forged"}).status_code
        == 403
    )
    assert (
        client.post(url, json={"status": "fixed"}, headers={"X-CSRF-Token": csrf}).status_code
        == 200
    )
    foreign = f"/api/engagements/other-2026/findings/{fingerprint}/status"
    assert (
        client.post(foreign, json={"status": "fixed"}, headers={"X-CSRF-Token": csrf}).status_code
        == 404
    )
    csrf = login(client, emails["vendor_ehr"])
    assert (
        client.post(url, json={"status": "fixed"}, headers={"X-CSRF-Token": csrf}).status_code
        == 404
    )
    csrf = login(client, emails["surveyor"])
    response = client.post(url, json={"status": "false_positive"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 400  # a false positive needs a reason
    response = client.post(
        url,
        json={"status": "false_positive", "reason": "lab artefact"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200
    statuses = {
        f["title_en"]: f["status"] for f in client.get("/api/engagements/demo-2026/findings").json()
    }
    assert statuses["Telnet exposed"] == "false_positive"


def test_hospital_confirms_dynamic_address(world: tuple[TestClient, dict[str, str]]) -> None:
    client, emails = world
    csrf = login(client, emails["hospital"])
    ok = client.post(
        "/api/engagements/demo-2026/addresses/198.18.20.20/confirm",
        json={},
        headers={"X-CSRF-Token": csrf},
    )
    assert ok.status_code == 200
    assert ok.json()["confirmed_by"] == "情報 太郎"
    fixed = client.post(
        "/api/engagements/demo-2026/addresses/198.18.10.10/confirm",
        json={},
        headers={"X-CSRF-Token": csrf},
    )
    assert fixed.status_code == 400
    foreign = client.post(
        "/api/engagements/other-2026/addresses/198.19.20.20/confirm",
        json={},
        headers={"X-CSRF-Token": csrf},
    )
    assert foreign.status_code == 404
    page = client.get("/engagements/demo-2026")
    assert "情報 太郎" in page.text
    login(client, emails["vendor_ehr"])
    assert (
        client.post(
            "/api/engagements/demo-2026/addresses/198.18.20.20/confirm",
            json={},
            headers={"X-CSRF-Token": "x"},
        ).status_code
        == 403
    )


def _try_login(client: TestClient, email: str, password: str) -> object:
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    return client.post(
        "/login",
        data={"email": email, "password": password, "login_csrf": token},
        follow_redirects=False,
    )


def test_failures_slow_the_source_not_the_owner(world: tuple[TestClient, dict[str, str]]) -> None:
    """Five wrong passwords from one address hold back that address for that account only;
    the owner elsewhere logs in, and the refusal reads like any failed login."""
    client, emails = world
    for _ in range(5):
        assert _try_login(client, emails["hospital"], "wrong-password").status_code == 401  # type: ignore[attr-defined]
    held = _try_login(client, emails["hospital"], PASSWORD)
    assert held.status_code == 401  # type: ignore[attr-defined]
    unknown = _try_login(client, "nobody@example.invalid", "wrong-password")
    failed_words = re.search(r'role="alert">([^<]+)<', unknown.text).group(1)  # type: ignore[attr-defined,union-attr]
    assert failed_words in held.text  # type: ignore[attr-defined]
    assert "ロック" not in held.text  # type: ignore[attr-defined]
    owner = TestClient(client.app, base_url="https://testserver", client=("198.51.100.7", 5000))
    assert _try_login(owner, emails["hospital"], PASSWORD).status_code == 303  # type: ignore[attr-defined]
    other_account = _try_login(client, emails["vendor_net"], PASSWORD)
    assert other_account.status_code == 303  # type: ignore[attr-defined]


def test_login_rate_limit_and_login_csrf(world: tuple[TestClient, dict[str, str]]) -> None:
    client, emails = world
    no_csrf = client.post("/login", data={"email": emails["surveyor"], "password": PASSWORD})
    assert no_csrf.status_code == 403
    codes = []
    for _ in range(12):
        form = client.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        codes.append(
            client.post(
                "/login",
                data={"email": "nobody@example.invalid", "password": "x" * 12, "login_csrf": token},
            ).status_code
        )
    assert codes[:10] == [401] * 10
    assert codes[10:] == [429, 429]


def test_security_headers_and_cookie_flags(world: tuple[TestClient, dict[str, str]]) -> None:
    client, emails = world
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    logged = client.post(
        "/login",
        data={"email": emails["surveyor"], "password": PASSWORD, "login_csrf": token},
        follow_redirects=False,
    )
    cookie = logged.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_unauthenticated_and_logout(world: tuple[TestClient, dict[str, str]]) -> None:
    client, emails = world
    assert client.get("/api/engagements").status_code == 401
    assert client.get("/", follow_redirects=False).status_code == 303
    csrf = login(client, emails["surveyor"])
    assert client.get("/api/engagements").status_code == 200
    client.post("/logout", data={"csrf": csrf})
    assert client.get("/api/engagements").status_code == 401


STAFF_PAGES = ["/board", "/admin/engagements", "/admin/users", "/admin/invitations"]


def test_staff_pages(world: tuple[TestClient, dict[str, str]]) -> None:
    """A staff-only page sends a stranger to the login form and is "not found" to others."""
    client, emails = world
    for path in STAFF_PAGES:
        anonymous = client.get(path, follow_redirects=False)
        assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login"), path
    for role in ("hospital", "vendor_net"):
        login(client, emails[role])
        assert [client.get(path).status_code for path in STAFF_PAGES] == [404] * 4, role
    login(client, emails["surveyor"])
    assert [client.get(path).status_code for path in STAFF_PAGES] == [200] * 4


def test_invitation_is_single_use(world: tuple[TestClient, dict[str, str]]) -> None:
    client, emails = world
    csrf = login(client, emails["surveyor"])
    page = client.post(
        "/admin/invitations",
        data={
            "csrf": csrf,
            "email": "new@demo-hospital.example",
            "role": "hospital",
            "engagement": "demo-2026",
        },
    )
    link = re.search(r"/invite/([A-Za-z0-9_-]+)", page.text)
    assert link is not None
    client.cookies.clear()
    form = client.get(f"/invite/{link.group(1)}")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    accepted = client.post(
        f"/invite/{link.group(1)}",
        data={"password": PASSWORD, "display_name": "新人", "login_csrf": token},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert {e["code"] for e in client.get("/api/engagements").json()} == {"demo-2026"}
    again = client.post(
        f"/invite/{link.group(1)}", data={"password": PASSWORD, "login_csrf": token}
    )
    assert again.status_code == 404  # a used link is dead: no password form again
    assert 'name="password"' not in again.text
    login(client, emails["hospital"])
    assert client.get("/admin/invitations").status_code == 404


def test_english_pages(world: tuple[TestClient, dict[str, str]]) -> None:
    client, emails = world
    login(client, emails["surveyor"])
    page = client.get("/engagements/demo-2026?lang=en")
    assert "External connection points" in page.text
    assert "Demo General Hospital" in page.text
    assert "外部接続点" in client.get("/engagements/demo-2026?lang=ja").text
