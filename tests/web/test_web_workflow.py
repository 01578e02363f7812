"""The workflow pages as each role meets them: every new route with every role and with
foreign ids (no leak), CSRF on every form, uploads refused by content, and the same
validation as the CLI importers (nothing stored on a bad upload)."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from tests.web.test_web_access import FINDINGS, PASSWORD, _other_hospital, login

from kenshin.cli.demo import demo_file
from kenshin.intake import read_file
from kenshin.jobs import JobKind, JobSpec, JobState
from kenshin.report import build_report_input, write_report
from kenshin.requests import AttachmentRepository, RequestRepository
from kenshin.store import AuditLog, EngagementRepository, FindingRepository, now_utc, open_store
from kenshin.terminals import demo_terminal_files
from kenshin.web import Accounts, Role, create_app
from kenshin.web.uploads import Kind, sniff

EMAILS = {
    "surveyor": "surveyor@kenshin.example",
    "hospital": "it@demo-hospital.example",
    "vendor_net": "net@vendor.example",
    "vendor_ehr": "ehr@vendor.example",
}


@dataclasses.dataclass
class FakeStatus:
    """Shaped like ``kenshin.jobs.JobStatus`` (the interface the jobs room publishes)."""

    id: str
    spec: JobSpec
    state: JobState = JobState.QUEUED
    progress: float = 0.0
    message: str = ""
    created_at: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


class FakeRunner:
    """A test double of the ``JobRunner`` protocol: it records jobs and runs nothing."""

    def __init__(self) -> None:
        self.jobs: dict[str, FakeStatus] = {}

    def submit(self, spec: JobSpec) -> str:
        status = FakeStatus(id=f"job-{len(self.jobs) + 1}", spec=spec)
        self.jobs[status.id] = status
        return status.id

    def status(self, job_id: str) -> FakeStatus | None:
        return self.jobs.get(job_id)

    def list(self, engagement_code: str | None = None) -> list[FakeStatus]:
        return [
            j
            for j in self.jobs.values()
            if engagement_code is None or j.spec.engagement_code == engagement_code
        ]

    def cancel(self, job_id: str) -> None:
        self.jobs[job_id].state = JobState.CANCELLED

    def retry(self, job_id: str) -> str:
        return self.submit(self.jobs[job_id].spec)


def _in_window(engagement: Any, code: str) -> Any:
    """The engagement with a diagnosis window around now (its addresses stay lab ones)."""
    from kenshin.domain import DiagnosisWindow

    now = datetime.now(UTC)
    return dataclasses.replace(
        engagement,
        code=code,
        window=DiagnosisWindow(now - timedelta(hours=1), now + timedelta(hours=2)),
    )


@dataclasses.dataclass
class World:
    client: TestClient
    runner: FakeRunner
    store: Any
    reports: Path


@pytest.fixture
def world(tmp_path: Path, store_url: str) -> Iterator[World]:
    """Two hospitals, four users, sent requests; on SQLite and on PostgreSQL."""
    store = open_store(store_url)
    runner = FakeRunner()
    with store.session() as session:
        repository = EngagementRepository(session)
        demo = read_file(demo_file())
        repository.save(_in_window(demo, "demo-2026"))
        repository.save(_in_window(_other_hospital(), "other-2026"))
        FindingRepository(session).record("demo-2026", FINDINGS.values())
        FindingRepository(session).record("other-2026", FINDINGS.values())
        for code in ("demo-2026", "other-2026"):
            requests = RequestRepository(session)
            for drafted in requests.draft(repository.get(code), now_utc(), "test"):
                requests.mark_sent(code, drafted.number, now_utc(), "test")
        accounts = Accounts(session)
        surveyor = accounts.create_user(EMAILS["surveyor"], PASSWORD, Role.SURVEYOR)
        for key, role, vendor in (
            ("hospital", Role.HOSPITAL, None),
            ("vendor_net", Role.VENDOR, "V-NET"),
            ("vendor_ehr", Role.VENDOR, "V-EHR"),
        ):
            token = accounts.invite(surveyor, EMAILS[key], role, "demo-2026", vendor)
            accounts.accept_invitation(token, PASSWORD, "情報 太郎" if vendor is None else "")
    from kenshin.web import WebSettings

    reports = tmp_path / "reports"
    client = TestClient(
        create_app(store, WebSettings(report_dir=reports), job_runner=runner),
        base_url="https://testserver",  # session cookies are Secure
    )
    yield World(client, runner, store, reports)
    store.dispose()


def _numbers(store: Any, code: str) -> int:
    with store.session() as session:
        return RequestRepository(session).for_engagement(code)[0].number


def _attachment(store: Any, code: str, number: int) -> int:
    """The id of a procedure attached to the request (attached once per engagement)."""
    with store.session() as session:
        files = AttachmentRepository(session)
        found = files.for_request(code, number)
        if found:
            return found[0].id
        attached, _ = files.add(
            code, number, "手順書.pdf", b"%PDF-1.4 " + code.encode(), now_utc(), "test"
        )
        return attached.id


def _xlsx_bytes() -> bytes:
    book = Workbook()
    book.active.append(["not", "a", "hearing", "sheet"])  # type: ignore[union-attr]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


INSTITUTION_FORM = {
    "institution.name": "デモ総合病院",
    "institution.name_en": "Demo General Hospital",
    "institution.prefecture": "架空県",
    "institution.bed_count": "320",
}
IVANTI_OUTPUT = (
    b"System Overview\nProduct: Ivanti Connect Secure 22.7R2.3 (build 3431)\n"
    b"WAN interface: external port 198.18.20.21/29\n"
)

STAFF = {"surveyor"}
VENDOR_EHR = {"surveyor", "vendor_ehr"}
HOSPITAL = {"surveyor", "hospital"}
VENDORS = {"surveyor", "vendor_net", "vendor_ehr"}


def _routes(world: World, code: str) -> list[tuple[str, str, dict[str, Any], set[str]]]:
    """(method, url, request kwargs, roles allowed on their own engagement) for every route."""
    number = _numbers(world.store, code)
    attachment = _attachment(world.store, code, number)
    job_id = world.runner.submit(JobSpec(JobKind.SCAN, code, {}, "t"))
    bad_file = {"files": {"workbook": ("x.xlsx", b"MZ\x90\x00 not a workbook", "text/plain")}}
    return [
        ("GET", f"/api/engagements/{code}/state", {}, STAFF),
        ("GET", f"/engagements/{code}/hearing", {}, HOSPITAL),
        ("POST", f"/engagements/{code}/hearing/institution", {"data": INSTITUTION_FORM}, HOSPITAL),
        ("GET", f"/engagements/{code}/hearing/template.xlsx", {}, HOSPITAL),
        ("POST", f"/engagements/{code}/hearing-upload", bad_file, HOSPITAL),
        ("GET", f"/engagements/{code}/terminals", {}, HOSPITAL),
        ("GET", f"/api/engagements/{code}/terminals", {}, HOSPITAL),
        (
            "POST",
            f"/engagements/{code}/terminals",
            {"data": {"hostname": "RECEPT-01", "role": "other"}},
            HOSPITAL,
        ),
        ("GET", f"/engagements/{code}/terminals/collector.ps1", {}, HOSPITAL),
        (
            "POST",
            f"/engagements/{code}/terminals-upload",
            {"files": {"files": ("a.json", b"\x7fELF binary", "application/json")}},
            HOSPITAL,
        ),
        ("POST", f"/engagements/{code}/terminals/T-05/remove", {}, HOSPITAL),
        ("GET", f"/engagements/{code}/requests", {}, VENDORS),
        ("GET", f"/api/engagements/{code}/requests", {}, VENDORS),
        (
            "POST",
            f"/engagements/{code}/requests/{number}/answer",
            {"data": {"firmware": "9.1.R5"}},
            {"surveyor", "vendor_ehr"},
        ),
        (
            "POST",
            f"/api/engagements/{code}/requests/{number}/answer",
            {"json": {"firmware": "9.1.R5"}},
            {"surveyor", "vendor_ehr"},
        ),
        (
            "POST",
            f"/api/engagements/{code}/requests/{number}/attachments",
            {"files": {"files": ("procedure.pdf", b"%PDF-1.7 procedure", "application/pdf")}},
            {"surveyor", "vendor_ehr"},
        ),
        ("GET", f"/api/engagements/{code}/requests/{number}/attachments", {}, VENDOR_EHR),
        (
            "GET",
            f"/engagements/{code}/requests/{number}/attachments/{attachment}",
            {},
            VENDOR_EHR,
        ),
        ("GET", f"/api/engagements/{code}/hearing", {}, HOSPITAL),
        (
            "POST",
            f"/api/engagements/{code}/hearing",
            {"json": {"vendors": [{"company": "新規保守株式会社", "manages": "無線LAN"}]}},
            HOSPITAL,
        ),
        (
            "POST",
            f"/engagements/{code}/hearing/vendors",
            {"data": {"vendors.0.company": "別の保守株式会社"}},
            HOSPITAL,
        ),
        (
            "POST",
            f"/engagements/{code}/hearing/connection_points",
            {"data": {"connection_points.0.key": "CP-01", "connection_points.0.carrier": "X"}},
            HOSPITAL,
        ),
        ("POST", f"/engagements/{code}/hearing/devices", {"data": {}}, HOSPITAL),
        ("POST", f"/engagements/{code}/hearing/terminals", {"data": {}}, HOSPITAL),
        ("POST", f"/engagements/{code}/requests/draft", {}, STAFF),
        ("POST", f"/engagements/{code}/requests/{number}/send", {}, STAFF),
        ("GET", f"/engagements/{code}/jobs", {}, STAFF),
        ("GET", f"/api/engagements/{code}/jobs", {}, STAFF),
        ("POST", f"/engagements/{code}/jobs", {"data": {"kind": "scan"}}, STAFF),
        ("POST", f"/api/engagements/{code}/jobs", {"json": {"kind": "scan"}}, STAFF),
        ("GET", f"/api/jobs/{job_id}", {}, STAFF),
        ("POST", f"/api/jobs/{job_id}/cancel", {}, STAFF),
        ("GET", f"/engagements/{code}/report", {}, HOSPITAL),
        ("GET", f"/api/engagements/{code}/report", {}, HOSPITAL),
        ("GET", f"/engagements/{code}/report/ja/report.pdf", {}, HOSPITAL),
        ("GET", f"/engagements/{code}/report/ja/findings.xlsx", {}, HOSPITAL),
        ("GET", f"/engagements/{code}/report/ja/findings.json", {}, set()),  # never served
        ("POST", f"/engagements/{code}/report", {"data": {"lang": "ja"}}, STAFF),
    ]


def _send(client: TestClient, method: str, url: str, csrf: str, kwargs: dict[str, Any]) -> Any:
    kwargs = {k: dict(v) if isinstance(v, dict) else v for k, v in kwargs.items()}
    if method == "POST":
        if url.startswith("/api/"):
            kwargs["headers"] = {"X-CSRF-Token": csrf}
        else:
            kwargs.setdefault("data", {})["csrf"] = csrf
    return client.request(method, url, follow_redirects=False, **kwargs)


def _build_reports(world: World) -> None:
    with world.store.session() as session:
        for code in ("demo-2026", "other-2026"):
            write_report(build_report_input(session, code), world.reports / code / "ja", "ja")


@pytest.mark.parametrize("role", ["surveyor", "hospital", "vendor_net", "vendor_ehr"])
def test_every_workflow_route_with_every_role(world: World, role: str) -> None:
    _build_reports(world)
    csrf = login(world.client, EMAILS[role])
    for code, own in (("demo-2026", True), ("other-2026", False)):
        for method, url, kwargs, allowed in _routes(world, code):
            response = _send(world.client, method, url, csrf, kwargs)
            may = role in allowed and (own or role == "surveyor")
            if may:
                assert response.status_code in (200, 303, 400), (role, method, url, response.text)
            else:
                assert response.status_code == 404, (role, method, url, response.status_code)
                assert "CVE" not in response.text
                assert "198.1" not in response.text
    board = world.client.get("/board")
    assert board.status_code == (200 if role == "surveyor" else 404)
    missing = world.client.get("/api/jobs/no-such-job")
    assert missing.status_code == 404


def test_every_new_form_needs_the_csrf_token(world: World) -> None:
    _build_reports(world)
    login(world.client, EMAILS["surveyor"])
    for method, url, kwargs, _ in _routes(world, "demo-2026"):
        if method != "POST":
            continue
        for token in ("", "forged"):
            response = _send(world.client, method, url, token, kwargs)
            assert response.status_code == 403, (url, token)
    assert world.runner.jobs.keys() == {"job-1"}  # only the one the route list made itself
    world.client.cookies.clear()
    for method, url, kwargs, _ in _routes(world, "demo-2026"):
        response = _send(world.client, method, url, "x", kwargs)
        assert response.status_code in (401, 303), url  # no session: API 401, pages to login


def _form_fields(html: str, section: str) -> dict[str, str]:
    """The values the page pre-fills for one section (inputs and selected options)."""
    fields = dict(re.findall(rf'name="({section}\.[^"]+)"[^>]*value="([^"]*)"', html))
    for name, body in re.findall(
        rf'<select[^>]*name="({section}\.[^"]+)"[^>]*>(.*?)</select>', html, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        fields[name] = chosen.group(1) if chosen else ""
    return fields


def test_hearing_form_saves_through_validation_and_shows_field_errors(world: World) -> None:
    client = world.client
    csrf = login(client, EMAILS["hospital"])
    form = {**INSTITUTION_FORM, "institution.bed_count": "-3", "csrf": csrf}
    bad = client.post("/engagements/demo-2026/hearing/institution", data=form)
    assert bad.status_code == 400
    assert re.search(r'name="institution.bed_count"[^>]*aria-invalid="true"', bad.text)
    assert 'class="field-error"' in bad.text
    page = client.get("/engagements/demo-2026/hearing")
    points = _form_fields(page.text, "connection_points")
    assert points["connection_points.1.holder_kind"] == "vendor"
    assert points["connection_points.1.in_ehr_scope"] == "yes"
    data = {**points, "csrf": csrf, "connection_points.0.addresses": "not-an-ip"}
    wrong = client.post("/engagements/demo-2026/hearing/connection_points", data=data)
    assert wrong.status_code == 400
    assert re.search(r'name="connection_points.0.addresses"[^>]*aria-invalid="true"', wrong.text)
    assert "not-an-ip" in wrong.text  # what was typed is kept
    data["connection_points.0.addresses"] = "198.18.10.10、１９８．１８．１０．１１"
    ok = client.post(
        "/engagements/demo-2026/hearing/connection_points", data=data, follow_redirects=False
    )
    assert ok.status_code == 303, ok.text
    with world.store.session() as session:
        engagement = EngagementRepository(session).get("demo-2026")
        actions = [e.action for e in AuditLog(session).events("demo-2026")]
    addresses = {str(a.address) for a in engagement.connection_points[0].addresses}
    assert addresses == {"198.18.10.10", "198.18.10.11"}  # full-width typed, as the workbook
    assert "hearing.web" in actions
    english = client.get("/engagements/demo-2026/hearing?lang=en").text
    assert "Line contract holder" in english
    assert "Terminal survey" in english
    state = login(client, EMAILS["surveyor"])
    assert state
    assert client.get("/api/engagements/demo-2026/state").json()["hearing_received"] is True


def test_hearing_form_adds_vendors_holders_lines_and_devices(world: World) -> None:
    """What only the workbook could say before: vendors, contract holders, new lines and
    devices — through the workbook's own rules, with errors next to each field."""
    client = world.client
    csrf = login(client, EMAILS["hospital"])
    url = "/engagements/demo-2026/hearing"
    vendors = _form_fields(client.get(url).text, "vendors")
    new_vendor = {
        "vendors.2.company": "架空ワイヤレス株式会社",
        "vendors.2.manages": "無線LANと来院者用Wi-Fi",
        "vendors.2.contact_email": "wifi@wireless.example",
    }
    missing_name = client.post(f"{url}/vendors", data={**vendors, **new_vendor, "csrf": csrf})
    assert missing_name.status_code == 400  # a contact needs a name, as on the workbook
    assert re.search(r'name="vendors.2.contact_name"[^>]*aria-invalid="true"', missing_name.text)
    assert "ご担当者 氏名" in missing_name.text
    new_vendor["vendors.2.contact_name"] = "無線 四郎"
    saved = client.post(
        f"{url}/vendors", data={**vendors, **new_vendor, "csrf": csrf}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    points = _form_fields(client.get(url).text, "connection_points")
    line = {
        "connection_points.5.name": "来院者用Wi-Fi回線",
        "connection_points.5.kind": "wireless",
        "connection_points.5.in_ehr_scope": "no",
        "connection_points.5.holder_kind": "vendor",
        "connection_points.5.holder_name": "どこにもない株式会社",
    }
    unknown = client.post(f"{url}/connection_points", data={**points, **line, "csrf": csrf})
    assert unknown.status_code == 400
    assert re.search(
        r'name="connection_points.5.holder_name"[^>]*aria-invalid="true"', unknown.text
    )
    assert re.search(
        r'name="connection_points.5.scope_reason"[^>]*aria-invalid="true"', unknown.text
    )
    line["connection_points.5.holder_name"] = "架空ワイヤレス株式会社"
    line["connection_points.5.scope_reason"] = "電子カルテ系とは物理的に分離"
    line["connection_points.5.addresses"] = "198.18.30.30"
    line["connection_points.5.assignment"] = "dynamic"
    saved = client.post(
        f"{url}/connection_points", data={**points, **line, "csrf": csrf}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    device = {
        "devices.9.name": "来院者用Wi-Fiルータ",
        "devices.9.role": "router",
        "devices.9.vendor": "YAMAHA",
        "devices.9.connection_points": "来院者用Wi-Fi回線",
        "devices.9.managed_kind": "vendor",
        "devices.9.managed_name": "架空ワイヤレス株式会社",
    }
    saved = client.post(f"{url}/devices", data={**device, "csrf": csrf}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with world.store.session() as session:
        engagement = EngagementRepository(session).get("demo-2026")
    vendor = next(v for v in engagement.vendors if v.company == "架空ワイヤレス株式会社")
    assert vendor.contacts[0].name == "無線 四郎"
    point = next(p for p in engagement.connection_points if p.name == "来院者用Wi-Fi回線")
    assert point.contract_holder.vendor_key == vendor.key
    assert point.in_ehr_scope is False
    router = next(d for d in engagement.devices if d.name == "来院者用Wi-Fiルータ")
    assert router.connection_points == (point.key,)
    assert router.managed_by.vendor_key == vendor.key
    assert len(engagement.devices) == 6  # the old ones untouched, nothing duplicated


def test_hearing_api_takes_the_workbook_fields_and_names_bad_ones(world: World) -> None:
    client = world.client
    csrf = login(client, EMAILS["hospital"])
    current = client.get("/api/engagements/demo-2026/hearing").json()
    assert current["vendors"][0]["key"] == "V-NET"
    assert current["connection_points"][0]["holder_kind"] == "hospital"
    url = "/api/engagements/demo-2026/hearing"
    headers = {"X-CSRF-Token": csrf}
    bad = client.post(
        url, json={"devices": [{"name": "新UTM", "role": "toaster"}]}, headers=headers
    )
    assert bad.status_code == 400
    assert [p["field"] for p in bad.json()["problems"]] == ["devices.0.role"]
    english = client.post(
        url + "?lang=en", json={"institution": {"bed_count": "many"}}, headers=headers
    )
    assert english.json()["problems"][0]["field"] == "institution.bed_count"
    assert "many" in english.json()["problems"][0]["message"]
    good = client.post(
        url,
        json={"vendors": [{"company": "架空セキュリティ株式会社", "manages": "UTM監視"}]},
        headers=headers,
    )
    assert good.status_code == 200, good.text
    assert good.json() == {"added": {"vendors": 1}, "updated": {}}
    again = client.post(  # the same row again matches by name: nothing new
        url,
        json={"vendors": [{"company": "架空セキュリティ株式会社", "manages": "UTM監視"}]},
        headers=headers,
    )
    assert again.json() == {"added": {}, "updated": {}}


def test_hearing_upload_checks_content_and_stores_nothing_when_wrong(world: World) -> None:
    client = world.client
    csrf = login(client, EMAILS["hospital"])
    with world.store.session() as session:
        before = EngagementRepository(session).get("demo-2026")
    url = "/engagements/demo-2026/hearing-upload"
    renamed_pdf = {"workbook": ("sheet.xlsx", b"%PDF-1.7 fake", XLSX)}
    assert client.post(url, data={"csrf": csrf}, files=renamed_pdf).status_code == 400
    not_hearing = {"workbook": ("sheet.xlsx", _xlsx_bytes(), XLSX)}
    refused = client.post(url, data={"csrf": csrf}, files=not_hearing)
    assert refused.status_code == 400
    assert "ヒアリング" in refused.text or "シート" in refused.text
    huge = {"workbook": ("big.xlsx", b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024 + 10), XLSX)}
    assert client.post(url, data={"csrf": csrf}, files=huge).status_code == 400
    with world.store.session() as session:
        assert EngagementRepository(session).get("demo-2026") == before
    template = client.get("/engagements/demo-2026/hearing/template.xlsx")
    assert sniff(template.content) is Kind.WORKBOOK
    good = client.post(
        url,
        data={"csrf": csrf},
        files={"workbook": ("hearing.xlsx", template.content, XLSX)},
        follow_redirects=False,
    )
    assert good.status_code == 303, good.text


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_terminals_pick_collector_and_upload_verdicts(world: World) -> None:
    client = world.client
    csrf = login(client, EMAILS["hospital"])
    script = client.get("/engagements/demo-2026/terminals/collector.ps1")
    assert script.status_code == 200
    assert "attachment" in script.headers["content-disposition"]
    assert "Get-" in script.text  # a PowerShell script
    files = demo_terminal_files()
    uploads = [("files", (name, data, "application/json")) for name, data in files[:2]]
    binary = [("files", ("evil.json", b"MZ\x90\x00" + b"\0" * 64, "application/json"))]
    refused = client.post(
        "/engagements/demo-2026/terminals-upload", data={"csrf": csrf}, files=uploads + binary
    )
    assert refused.status_code == 400
    assert client.get("/api/engagements/demo-2026/terminals").json() == []  # nothing stored
    accepted = client.post(
        "/engagements/demo-2026/terminals-upload",
        data={"csrf": csrf},
        files=uploads,
        follow_redirects=False,
    )
    assert accepted.status_code == 303, accepted.text
    stored = client.get("/api/engagements/demo-2026/terminals").json()
    assert len(stored) == 2
    assert all(s["verdicts"] for s in stored)
    page = client.get("/engagements/demo-2026/terminals")
    assert "verdict-" in page.text
    # each check by the name and status words the CLI and the report use, not its id
    assert "USB ストレージの閉塞" in page.text
    assert ">terminal.usb.mass_storage<" not in page.text
    added = client.post(
        "/engagements/demo-2026/terminals",
        data={"csrf": csrf, "hostname": "bad host name!", "role": "other"},
    )
    assert added.status_code in (303, 400, 200)


def test_vendor_answers_only_its_own_request(world: World) -> None:
    client = world.client
    number = _numbers(world.store, "demo-2026")
    csrf = login(client, EMAILS["vendor_net"])
    assert client.get("/api/engagements/demo-2026/requests").json() == []
    csrf = login(client, EMAILS["vendor_ehr"])
    listed = client.get("/api/engagements/demo-2026/requests").json()
    assert [r["number"] for r in listed] == [number]
    url = f"/engagements/demo-2026/requests/{number}/answer"
    text_as_exe = {"attachments": ("show-version.txt", b"MZ\x90\x00\x03", "text/plain")}
    refused = client.post(url, data={"csrf": csrf, "firmware": "9.1.R5"}, files=text_as_exe)
    assert refused.status_code == 400
    assert "PDF" in refused.text  # says which kinds are accepted
    assert client.get("/api/engagements/demo-2026/requests").json()[0]["state"] == "sent"
    output = {"attachments": ("show-version.txt", b"Version 9.1R5 (build 1234)\n", "text/plain")}
    answered = client.post(
        url, data={"csrf": csrf, "firmware": "9.1.R5"}, files=output, follow_redirects=False
    )
    assert answered.status_code == 303
    with world.store.session() as session:
        request = RequestRepository(session).get("demo-2026", number)
        engagement = EngagementRepository(session).get("demo-2026")
        files = AttachmentRepository(session).for_request("demo-2026", number)
    assert request.answer is not None
    assert request.answer.firmware == "9.1.R5"  # typed wins over anything read
    assert [f.filename for f in files] == ["show-version.txt"]
    device = next(d for d in engagement.devices if d.key == request.device_key)
    assert device.firmware_version == "9.1.R5"
    again = client.post(
        f"/api/engagements/demo-2026/requests/{number}/answer",
        json={"firmware": "x"},
        headers={"X-CSRF-Token": csrf},
    )
    assert again.status_code == 400  # answered already


def test_device_output_file_answers_the_request_and_downloads_safely(world: World) -> None:
    """A vendor uploads the device's output as a file: the firmware parser reads version
    and WAN address into the answer; the surveyor sees it; downloads are attachments."""
    client = world.client
    number = _numbers(world.store, "demo-2026")
    csrf = login(client, EMAILS["vendor_ehr"])
    api = f"/api/engagements/demo-2026/requests/{number}/attachments"
    headers = {"X-CSRF-Token": csrf}
    procedure = client.post(
        api,
        files={"files": ("手順書.pdf", b"%PDF-1.7\n% procedure", "text/plain")},
        headers=headers,
    )
    assert procedure.status_code == 200, procedure.text
    assert procedure.json()["state"] == "sent"  # a procedure alone answers nothing
    assert procedure.json()["attachments"][0]["kind"] == "pdf"
    png_named_txt = client.post(
        api,
        files={"files": ("output.txt", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "text/plain")},
        headers=headers,
    )
    assert png_named_txt.status_code == 200
    assert png_named_txt.json()["attachments"][0]["filename"] == "output.png"  # content decides
    zip_not_xlsx = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(zip_not_xlsx, "w") as archive:
        archive.writestr("evil.js", "alert(1)")
    refused = client.post(
        api, files={"files": ("sheet.xlsx", zip_not_xlsx.getvalue(), XLSX)}, headers=headers
    )
    assert refused.status_code == 400
    huge = client.post(
        api,
        files={"files": ("big.txt", b"a" * (5 * 1024 * 1024 + 1), "text/plain")},
        headers=headers,
    )
    assert huge.status_code == 400
    answered = client.post(
        f"/engagements/demo-2026/requests/{number}/answer",
        data={"csrf": csrf},
        files={"attachments": ("show-system.txt", IVANTI_OUTPUT, "text/plain")},
        follow_redirects=False,
    )
    assert answered.status_code == 303, answered.text
    listed = client.get(api).json()
    assert [a["kind"] for a in listed] == ["pdf", "png", "text"]
    assert listed[2]["parsed"]["version"] == "22.7R2.3 (build 3431)"
    with world.store.session() as session:
        request = RequestRepository(session).get("demo-2026", number)
        engagement = EngagementRepository(session).get("demo-2026")
        actions = [e.action for e in AuditLog(session).events("demo-2026")]
    assert request.answer is not None
    assert request.answer.firmware == "22.7R2.3 (build 3431)"
    device = next(d for d in engagement.devices if d.key == request.device_key)
    assert device.firmware_version == "22.7R2.3 (build 3431)"
    assert actions.count("requests.attach") == 3
    assert "requests.answer" in actions
    download = client.get(f"/engagements/demo-2026/requests/{number}/attachments/{listed[2]['id']}")
    assert download.status_code == 200
    assert download.content == IVANTI_OUTPUT
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]
    # The surveyor sees what was read; the hospital and the other vendor see nothing.
    login(client, EMAILS["surveyor"])
    page = client.get("/engagements/demo-2026/requests").text
    assert "22.7R2.3" in page
    assert "show-system.txt" in page
    for role in ("hospital", "vendor_net"):
        login(client, EMAILS[role])
        assert client.get(api).status_code == 404
        assert (
            client.get(
                f"/engagements/demo-2026/requests/{number}/attachments/{listed[2]['id']}"
            ).status_code
            == 404
        )


def test_attachment_ids_of_other_requests_are_not_found(world: World) -> None:
    """An attachment id only opens under its own request, whoever asks."""
    number = _numbers(world.store, "demo-2026")
    other_number = _numbers(world.store, "other-2026")
    own = _attachment(world.store, "demo-2026", number)
    foreign = _attachment(world.store, "other-2026", other_number)
    for role in ("surveyor", "vendor_ehr"):
        login(world.client, EMAILS[role])
        base = f"/engagements/demo-2026/requests/{number}/attachments"
        assert world.client.get(f"{base}/{own}").status_code == 200
        assert world.client.get(f"{base}/{foreign}").status_code == 404
        assert world.client.get(f"{base}/999999").status_code == 404


def test_surveyor_starts_a_scan_job_only_inside_the_scope(world: World) -> None:
    client = world.client
    csrf = login(client, EMAILS["surveyor"])
    started = client.post(
        "/api/engagements/demo-2026/jobs", json={"kind": "scan"}, headers={"X-CSRF-Token": csrf}
    )
    assert started.status_code == 200, started.text
    job = started.json()
    assert job["kind"] == "scan"
    assert job["engagement"] == "demo-2026"
    assert job["requested_by"] == EMAILS["surveyor"]
    assert client.get(f"/api/jobs/{job['id']}").json()["state"] == "queued"
    page = client.get("/engagements/demo-2026/jobs")
    assert f'data-job="{job["id"]}"' in page.text
    assert "/static/kenshin.js" in page.text
    assert client.get("/static/kenshin.js").status_code == 200
    with world.store.session() as session:
        repository = EngagementRepository(session)
        engagement = repository.get("demo-2026")
        repository.save(dataclasses.replace(engagement, authorisation=None))
    refused = client.post(
        "/api/engagements/demo-2026/jobs", json={"kind": "scan"}, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 400
    assert len(world.runner.jobs) == 1  # nothing submitted outside the scope
    with world.store.session() as session:
        refusals = [
            e for e in AuditLog(session).events("demo-2026") if e.outcome.value == "refused"
        ]
    assert refusals
    assert refusals[0].actor == EMAILS["surveyor"]
    odd = client.post(
        "/api/engagements/demo-2026/jobs", json={"kind": "rm"}, headers={"X-CSRF-Token": csrf}
    )
    assert odd.status_code == 400


def test_report_built_by_surveyor_downloaded_by_hospital(world: World) -> None:
    """The build is a REPORT job on the real in-process runner; the hospital downloads."""
    from kenshin.web import WebSettings

    client = TestClient(
        create_app(world.store, WebSettings(report_dir=world.reports)),
        base_url="https://testserver",
    )
    csrf = login(client, EMAILS["surveyor"])
    built = client.post(
        "/engagements/demo-2026/report", data={"csrf": csrf, "lang": "ja"}, follow_redirects=False
    )
    assert built.status_code == 303
    assert built.headers["location"].endswith("/jobs")
    import time

    for _ in range(240):  # bounded wait for the background job
        jobs = client.get("/api/engagements/demo-2026/jobs").json()
        if jobs and jobs[0]["state"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.5)
    assert jobs[0]["kind"] == "report"
    assert jobs[0]["state"] == "succeeded", jobs[0]
    login(client, EMAILS["hospital"])
    files = client.get("/api/engagements/demo-2026/report").json()
    assert {f["name"] for f in files} == {"report.pdf", "report.html", "findings.xlsx"}
    pdf = client.get("/engagements/demo-2026/report/ja/report.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    html = client.get("/engagements/demo-2026/report/ja/report.html")
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert client.get("/engagements/demo-2026/report/ja/..%2Fkenshin.sqlite3").status_code == 404
    assert "other-2026" not in json.dumps(files)


def test_oversized_request_is_refused_before_parsing(world: World) -> None:
    csrf = login(world.client, EMAILS["hospital"])
    response = world.client.post(
        "/engagements/demo-2026/terminals-upload",
        data={"csrf": csrf},
        files={"files": ("big.json", b"{" + b" " * (25 * 1024 * 1024), "application/json")},
    )
    assert response.status_code == 413
    assert world.client.get("/api/engagements/demo-2026/terminals").json() == []


def test_sniff_recognises_content_not_names() -> None:
    assert sniff(b"%PDF-1.4\n") is Kind.PDF
    assert sniff("ホスト名,値\n".encode()) is Kind.TEXT
    assert sniff("\ufeffx".encode("utf-16-le")) is Kind.TEXT
    assert sniff(b"MZ\x90\x00") is None
    assert sniff(b"text with a \x00 nul") is None
    assert sniff(_xlsx_bytes()) is Kind.WORKBOOK
    plain_zip = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert sniff(plain_zip.getvalue()) is None
