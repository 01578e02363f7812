"""The diagram page and the inventory edits as each role meets them: every new route with
every role and with foreign ids (no leak), CSRF on every form, the same validation as the
CLI (errors in the form, in the user's language, nothing stored), audit events, and a
diagram that shows what people typed as text, never as markup."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.web import test_web_workflow as workflow
from tests.web.test_web_access import login
from tests.web.test_web_workflow import EMAILS, World, _send

from kenshin.diagram import DiagramError, safe_inline_svg
from kenshin.store import AuditLog, EngagementRepository

world = workflow.world  # the same two hospitals and four users, on SQLite and PostgreSQL

STAFF = {"surveyor"}
VIEWERS = {"surveyor", "hospital"}

NEW_POINT = {
    "key": "CP-09",
    "name": "リモート保守回線（検査装置）",
    "kind": "remote_maintenance",
    "in_ehr_scope": "on",
    "holder": "vendor:V-EHR",
    "address": ["198.18.30.30"],
    "assignment": ["fixed"],
}


def _routes(code: str) -> list[tuple[str, str, dict[str, Any], set[str]]]:
    """(method, url, request kwargs, roles allowed on their own engagement) for every route."""
    yaml_file = {"files": {"file": ("e.yaml", b"schema: kenshin.engagement/1\n", "text/plain")}}
    return [
        ("GET", f"/engagements/{code}/diagram", {}, VIEWERS),
        ("GET", f"/api/engagements/{code}/diagram.svg", {}, VIEWERS),
        ("GET", f"/engagements/{code}/engagement.yaml", {}, STAFF),
        ("GET", f"/api/engagements/{code}/export", {}, STAFF),
        ("POST", f"/engagements/{code}/import", yaml_file, STAFF),
        ("POST", f"/engagements/{code}/points/add", {"data": NEW_POINT}, STAFF),
        ("POST", f"/engagements/{code}/points/CP-01/edit", {"data": {"name": "x"}}, STAFF),
        ("POST", f"/engagements/{code}/points/CP-04/remove", {}, STAFF),
        (
            "POST",
            f"/engagements/{code}/devices/add",
            {"data": {"key": "DEV-09", "name": "保守用ルータ", "role": "router"}},
            STAFF,
        ),
        ("POST", f"/engagements/{code}/devices/DEV-01/edit", {"data": {"name": "x"}}, STAFF),
        ("POST", f"/engagements/{code}/devices/DEV-02/remove", {}, STAFF),
        (
            "POST",
            f"/engagements/{code}/vendors/add",
            {"data": {"key": "V-NEW", "company": "新ベンダ株式会社"}},
            STAFF,
        ),
        ("POST", f"/engagements/{code}/vendors/V-NET/edit", {"data": {"company": "x"}}, STAFF),
        ("POST", f"/engagements/{code}/vendors/V-NET/remove", {}, STAFF),
        (
            "POST",
            f"/api/engagements/{code}/points",
            {"json": {"key": "CP-10", "name": "予備回線", "kind": "internet"}},
            STAFF,
        ),
        ("PATCH", f"/api/engagements/{code}/points/CP-01", {"json": {"carrier": "x"}}, STAFF),
        ("DELETE", f"/api/engagements/{code}/points/CP-04", {}, STAFF),
        (
            "POST",
            f"/api/engagements/{code}/devices",
            {"json": {"key": "DEV-10", "name": "予備FW", "role": "firewall"}},
            STAFF,
        ),
        ("PATCH", f"/api/engagements/{code}/devices/DEV-01", {"json": {"model": "x"}}, STAFF),
        ("DELETE", f"/api/engagements/{code}/devices/DEV-03", {}, STAFF),
        (
            "POST",
            f"/api/engagements/{code}/vendors",
            {"json": {"key": "V-API", "company": "API株式会社"}},
            STAFF,
        ),
        ("PATCH", f"/api/engagements/{code}/vendors/V-NET", {"json": {"manages": "x"}}, STAFF),
        ("DELETE", f"/api/engagements/{code}/vendors/V-NET", {}, STAFF),
    ]


def _call(world: World, method: str, url: str, csrf: str, kwargs: dict[str, Any]) -> Any:
    if method in ("PATCH", "DELETE"):
        return world.client.request(
            method, url, headers={"X-CSRF-Token": csrf}, follow_redirects=False, **kwargs
        )
    return _send(world.client, method, url, csrf, kwargs)


def _documents(world: World) -> dict[str, Any]:
    from kenshin.intake import to_document

    with world.store.session() as session:
        repository = EngagementRepository(session)
        return {code: to_document(repository.get(code)) for code in ("demo-2026", "other-2026")}


@pytest.mark.parametrize("role", ["surveyor", "hospital", "vendor_net", "vendor_ehr"])
def test_every_inventory_route_with_every_role(world: World, role: str) -> None:
    csrf = login(world.client, EMAILS[role])
    before = _documents(world)
    for code, own in (("demo-2026", True), ("other-2026", False)):
        for method, url, kwargs, allowed in _routes(code):
            response = _call(world, method, url, csrf, kwargs)
            may = role in allowed and (own or role == "surveyor")
            if may:
                assert response.status_code in (200, 303, 400), (role, method, url, response.text)
            else:
                assert response.status_code == 404, (role, method, url, response.status_code)
                assert "198.1" not in response.text
                assert "<svg" not in response.text
    if role != "surveyor":
        assert _documents(world) == before  # nobody but staff changed anything
    for url in ("/admin/engagements", "/api/engagements"):
        response = world.client.request(
            "GET" if url.startswith("/admin") else "POST",
            url,
            headers={"X-CSRF-Token": csrf},
            json={"code": "new-2027", "title": "新規", "institution": "新病院"},
        )
        assert response.status_code == (200 if role == "surveyor" else 404), (role, url)
    imported = world.client.post(
        "/api/engagement-imports",
        headers={"X-CSRF-Token": csrf},
        json={"yaml": "schema: kenshin.engagement/1\ncode: other-2026\n"},
    )
    assert imported.status_code == (400 if role == "surveyor" else 404), role


def test_every_inventory_form_needs_the_csrf_token(world: World) -> None:
    login(world.client, EMAILS["surveyor"])
    before = _documents(world)
    for method, url, kwargs, _ in _routes("demo-2026"):
        if method == "GET":
            continue
        for token in ("", "forged"):
            response = _call(world, method, url, token, kwargs)
            assert response.status_code == 403, (url, token)
    assert _documents(world) == before
    world.client.cookies.clear()
    for method, url, kwargs, _ in _routes("demo-2026"):
        response = _call(world, method, url, "x", kwargs)
        assert response.status_code in (401, 303), url


def test_surveyor_adds_edits_and_removes_a_point_with_its_device(world: World) -> None:
    client = world.client
    csrf = login(client, EMAILS["surveyor"])
    added = client.post(
        "/engagements/demo-2026/points/add",
        data={**NEW_POINT, "csrf": csrf},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    device = client.post(
        "/engagements/demo-2026/devices/add",
        data={
            "csrf": csrf,
            "key": "DEV-09",
            "name": "保守用VPNルータ",
            "role": "router",
            "vendor": "YAMAHA",
            "model": "RTX830",
            "firmware_version": "Rev.15.02.30",
            "version_source": "vendor",
            "managed_by": "vendor:V-EHR",
            "point": ["CP-09"],
        },
        follow_redirects=False,
    )
    assert device.status_code == 303, device.text
    page = client.get("/engagements/demo-2026/diagram")
    svg = page.text[page.text.index("<svg") : page.text.index("</svg>")]
    assert "CP&#45;09" in svg or "CP-09" in svg
    assert "RTX830" in svg
    assert "198.18.30.30" in svg
    point = client.get("/api/engagements/demo-2026").json()["connection_points"][-1]
    assert point["internet_reachable"] is True  # remote maintenance reaches the internet
    assert point["contract_holder"] == {"kind": "vendor", "vendor": "V-EHR"}

    # A point that a device sits on cannot go; the reason is shown in the form, in Japanese.
    refused = client.post("/engagements/demo-2026/points/CP-09/remove", data={"csrf": csrf})
    assert refused.status_code == 400
    assert "DEV-09" in refused.text or "CP-09" in refused.text
    assert "保存できませんでした" in refused.text

    edited = client.patch(
        "/api/engagements/demo-2026/points/CP-09",
        headers={"X-CSRF-Token": csrf},
        json={"addresses": [{"address": "198.18.30.31", "assignment": "dynamic"}]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["addresses"] == [{"address": "198.18.30.31", "assignment": "dynamic"}]
    assert client.delete(
        "/api/engagements/demo-2026/devices/DEV-09", headers={"X-CSRF-Token": csrf}
    ).json() == {"removed": "DEV-09"}
    removed = client.post(
        "/engagements/demo-2026/points/CP-09/remove", data={"csrf": csrf}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert "CP-09" not in {p["key"] for p in _documents(world)["demo-2026"]["connection_points"]}
    with world.store.session() as session:
        actions = [(e.action, e.targets) for e in AuditLog(session).events("demo-2026")]
    for expected in (
        ("inventory.add", ("CP-09",)),
        ("inventory.add", ("DEV-09",)),
        ("inventory.edit", ("CP-09",)),
        ("inventory.remove", ("DEV-09",)),
        ("inventory.remove", ("CP-09",)),
    ):
        assert expected in actions, expected


def test_validation_errors_come_back_in_the_form_in_the_users_language(world: World) -> None:
    client = world.client
    csrf = login(client, EMAILS["surveyor"])
    before = _documents(world)
    not_ip = {**NEW_POINT, "address": ["not-an-ip"], "csrf": csrf}
    no_reason = {**NEW_POINT, "in_ehr_scope": "", "csrf": csrf}
    for data, lang, words in (
        (not_ip, "ja", "IPアドレスの形式ではありません"),
        (not_ip, "en", "not an IP address"),
        (no_reason, "ja", "理由"),
        (no_reason, "en", "reason"),
    ):
        response = client.post(f"/engagements/demo-2026/points/add?lang={lang}", data=data)
        assert response.status_code == 400
        form = re.search(r'id="add-point" open>(.*?)</details>', response.text, re.S)
        assert form is not None, "the failing form is shown open"
        errors = re.findall(r'class="field-error">([^<]*)<', form.group(1))
        assert len(errors) == 1, (lang, errors)
        assert words in errors[0], (lang, errors)
        assert NEW_POINT["name"] in form.group(1)  # what was typed stays in the form
    duplicate = client.post(
        "/engagements/demo-2026/vendors/add",
        data={"csrf": csrf, "key": "V-NET", "company": "重複"},
    )
    assert duplicate.status_code == 400
    assert "V-NET" in duplicate.text
    unknown_point = client.patch(
        "/api/engagements/demo-2026/devices/DEV-01",
        headers={"X-CSRF-Token": csrf},
        json={"connection_points": ["CP-99"]},
    )
    assert unknown_point.status_code == 400
    assert "CP-99" in unknown_point.json()["detail"]
    missing = client.patch(
        "/api/engagements/demo-2026/devices/DEV-99", headers={"X-CSRF-Token": csrf}, json={}
    )
    assert missing.status_code == 404
    assert _documents(world) == before


def test_labels_are_text_in_the_diagram_never_markup(world: World) -> None:
    client = world.client
    csrf = login(client, EMAILS["surveyor"])
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>\\N\\G'
    response = client.patch(
        "/api/engagements/demo-2026/points/CP-01",
        headers={"X-CSRF-Token": csrf},
        json={"name": hostile, "carrier": "</svg><script>alert(3)</script>"},
    )
    assert response.status_code == 200, response.text
    page = client.get("/engagements/demo-2026/diagram").text
    assert "<script" not in page
    assert "<img" not in page
    svg = client.get("/api/engagements/demo-2026/diagram.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg.text
    assert "\\N\\G" in svg.text  # Graphviz escapes are not expanded either
    assert safe_inline_svg(svg.text).startswith("<svg")
    for evil in (
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><g onload="alert(1)"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
        '<a x:href="https://example.invalid/">x</a></svg>',
        '<!DOCTYPE svg [<!ENTITY e "boom">]><svg>&e;</svg>',
    ):
        with pytest.raises(DiagramError):
            safe_inline_svg(evil)


def test_export_import_and_create(world: World) -> None:
    client = world.client
    csrf = login(client, EMAILS["surveyor"])
    exported = client.get("/engagements/demo-2026/engagement.yaml")
    assert exported.status_code == 200
    assert exported.text == client.get("/api/engagements/demo-2026/export").json()["yaml"]
    changed = exported.text.replace("  name: デモ総合病院\n", "  name: デモ総合病院（改）\n", 1)
    upload = client.post(
        "/engagements/demo-2026/import",
        data={"csrf": csrf},
        files={"file": ("demo.yaml", changed.encode("utf-8"), "text/plain")},
        follow_redirects=False,
    )
    assert upload.status_code == 303, upload.text
    assert "（改）" in client.get("/api/engagements/demo-2026").json()["institution"]["name"]
    other = client.post(
        "/engagements/other-2026/import",
        data={"csrf": csrf},
        files={"file": ("demo.yaml", changed.encode("utf-8"), "text/plain")},
    )
    assert other.status_code == 400
    assert "demo-2026" in other.text  # a file of another engagement is refused here
    broken = client.post(
        "/engagements/demo-2026/import",
        data={"csrf": csrf},
        files={"file": ("demo.yaml", b"code: [unclosed\n", "text/plain")},
    )
    assert broken.status_code == 400
    created = client.post(
        "/admin/engagements",
        data={"csrf": csrf, "code": "new-2027", "title": "新規調査", "institution": "新病院"},
        follow_redirects=False,
    )
    assert created.headers["location"] == "/engagements/new-2027/diagram"
    again = client.post(
        "/admin/engagements",
        data={"csrf": csrf, "code": "new-2027", "title": "x", "institution": "x"},
    )
    assert again.status_code == 400
    imported = client.post(
        "/api/engagement-imports",
        headers={"X-CSRF-Token": csrf},
        json={"yaml": changed.replace("code: demo-2026", "code: copy-2027")},
    )
    assert imported.json() == {"code": "copy-2027"}
    with world.store.session() as session:
        actions = {e.action for e in AuditLog(session).events("demo-2026")}
    assert {"engagement.import", "engagement.export"} <= actions


def test_new_engagement_page_answers_a_refused_create_or_import_with_its_reason(
    world: World,
) -> None:
    client = world.client
    csrf = login(client, EMAILS["surveyor"])
    refused = [
        client.post(
            "/admin/engagements",
            data={
                "csrf": csrf,
                "code": "new-2028",
                "title": "x",
                "institution": "x",
                "bed_count": "many",
            },
        ),
        client.post(
            "/admin/engagements/import",
            data={"csrf": csrf},
            files={"file": ("new.yaml", b"code: [unclosed\n", "text/plain")},
        ),
    ]
    for page in refused:
        assert page.status_code == 400
        assert '<p class="error" role="status"' in page.text
        assert 'action="/admin/engagements/import"' in page.text  # the same page, again
    assert "many" in refused[0].text
    exported = client.get("/engagements/demo-2026/engagement.yaml").text
    imported = client.post(
        "/admin/engagements/import",
        data={"csrf": csrf},
        files={
            "file": (
                "new.yaml",
                exported.replace("code: demo-2026", "code: new-2028").encode(),
                "text/plain",
            )
        },
        follow_redirects=False,
    )
    assert imported.headers["location"] == "/engagements/new-2028/diagram"


def test_a_bed_count_is_read_as_the_hearing_sheet_reads_it(world: World) -> None:
    """The hearing sheet took 「1,200床」 and the web's new-engagement form refused it."""
    client = world.client
    csrf = login(client, EMAILS["surveyor"])
    form = {"csrf": csrf, "title": "x", "institution": "x"}
    refused = client.post(
        "/admin/engagements", data={**form, "code": "new-1", "bed_count": "約200"}
    )
    assert refused.status_code == 400
    created = client.post(
        "/admin/engagements",
        data={**form, "code": "new-2", "bed_count": "1,200床"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    with world.store.session() as session:
        assert EngagementRepository(session).get("new-2").institution.bed_count == 1200


def test_a_vendor_contact_without_a_name_is_refused_not_dropped(world: World) -> None:
    """The hearing sheet refuses a contact's e-mail without a name; the web's vendor form
    dropped the e-mail and phone typed and saved the vendor without them."""
    client = world.client
    csrf = login(client, EMAILS["surveyor"])
    before = _documents(world)
    given = {"csrf": csrf, "key": "V-NEW", "company": "新ベンダ", "contact_email": "a@b.example"}
    refused = client.post("/engagements/demo-2026/vendors/add", data=given)
    assert refused.status_code == 400
    form = re.search(r'id="add-vendor" open>(.*?)</details>', refused.text, re.S)
    assert form is not None
    assert re.findall(r'class="field-error">([^<]*)<', form.group(1))
    assert _documents(world) == before
