"""The main journeys in a real browser: Debian's Chromium driven by Playwright.

Screenshots of the pages land in ``test-artifacts/web/`` for a person to look at.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kenshin.cli.demo import demo_file
from kenshin.domain import Finding, FindingCategory, FindingSubject, Severity
from kenshin.intake import read_file
from kenshin.requests import RequestRepository
from kenshin.store import EngagementRepository, FindingRepository, now_utc, open_store
from kenshin.web import Accounts, Role, WebSettings, create_app

# xdist: in the browser group (XDIST_GROUPS in tests/conftest.py): one web server.
pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


def _need_browser() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        reason = "needs the playwright package"
    else:
        reason = "" if Path(CHROMIUM).exists() else f"needs Debian's chromium at {CHROMIUM}"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_browser()
    import uvicorn

    folder = tmp_path_factory.mktemp("web")
    store = open_store(f"sqlite:///{folder / 'web.sqlite3'}")
    with store.session() as session:
        EngagementRepository(session).save(read_file(demo_file()))
        FindingRepository(session).record(
            "demo-2026",
            [
                Finding(
                    "exposure.telnet",
                    FindingCategory.EXPOSURE,
                    Severity.HIGH,
                    "Telnet（23/tcp）がインターネットに公開されています",
                    "Telnet (23/tcp) is reachable from the internet",
                    FindingSubject(address="198.18.20.20", port=23, protocol="tcp"),
                    remediation_ja="WAN側のTelnetを無効にしてください。",
                ),
                Finding(
                    "vulnerability.cve",
                    FindingCategory.VULNERABILITY,
                    Severity.CRITICAL,
                    "CVE-2023-27997: FortiOS SSL-VPN のヒープバッファオーバーフロー",
                    "CVE-2023-27997: FortiOS SSL-VPN heap overflow",
                    FindingSubject(device_key="DEV-01"),
                    cves=("CVE-2023-27997",),
                    kev=True,
                    remediation_ja="FortiOS 7.0.12 以降へ更新してください。",
                ),
            ],
        )
        requests = RequestRepository(session)
        for drafted in requests.draft(read_file(demo_file()), now_utc(), "test"):
            requests.mark_sent("demo-2026", drafted.number, now_utc(), "test")
        accounts = Accounts(session)
        surveyor = accounts.create_user(
            "surveyor@kenshin.example", PASSWORD, Role.SURVEYOR, "調査 花子"
        )
        for email, role, vendor in (
            ("it@demo-hospital.example", Role.HOSPITAL, None),
            ("net@vendor.example", Role.VENDOR, "V-NET"),
            ("ehr@vendor.example", Role.VENDOR, "V-EHR"),
        ):
            token = accounts.invite(surveyor, email, role, "demo-2026", vendor)
            accounts.accept_invitation(token, PASSWORD, "情報 太郎" if vendor is None else "")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(store, WebSettings(report_dir=folder / "reports", secure_cookies=False))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not web.started and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        web.should_exit = True
        thread.join(timeout=10)
        store.dispose()


@pytest.fixture
def browser_page(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        try:
            yield page
        finally:
            browser.close()


def _login(page: object, server: str, email: str) -> None:
    page.goto(f"{server}/login")  # type: ignore[attr-defined]
    page.fill("#email", email)  # type: ignore[attr-defined]
    page.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{server}/")  # type: ignore[attr-defined]


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_hospital_confirms_its_dynamic_ip(server: str, browser_page: object) -> None:
    page = browser_page
    _login(page, server, "it@demo-hospital.example")
    _shot(page, "hospital-dashboard")
    page.click("text=demo-2026")  # type: ignore[attr-defined]
    page.click("text=本日このアドレスであることを確認しました")  # type: ignore[attr-defined]
    page.wait_for_selector("text=最終確認")  # type: ignore[attr-defined]
    assert "情報 太郎" in page.inner_text("#points + table")  # type: ignore[attr-defined]
    _shot(page, "hospital-engagement-confirmed")
    page.click("text=対応済にする >> nth=0")  # type: ignore[attr-defined]
    assert "対応済" in page.inner_text("#findings + table")  # type: ignore[attr-defined]


def test_surveyor_triages_a_finding(server: str, browser_page: object) -> None:
    page = browser_page
    _login(page, server, "surveyor@kenshin.example")
    page.click("text=demo-2026")  # type: ignore[attr-defined]
    row = page.locator("#findings + table tr", has_text="Telnet")  # type: ignore[attr-defined]
    row.locator("select").select_option("accepted")
    row.locator("input[name=reason]").fill("保守作業期間のみ")
    row.locator("button").click()
    page.wait_for_load_state()  # type: ignore[attr-defined]
    row = page.locator("#findings + table tr", has_text="Telnet")  # type: ignore[attr-defined]
    assert "リスク受容" in row.inner_text()
    _shot(page, "surveyor-engagement")
    page.goto(f"{server}/engagements/demo-2026?lang=en")  # type: ignore[attr-defined]
    assert "External connection points" in page.content()  # type: ignore[attr-defined]
    _shot(page, "surveyor-engagement-en")


def test_vendor_sees_only_its_part(server: str, browser_page: object) -> None:
    page = browser_page
    _login(page, server, "net@vendor.example")
    page.click("text=demo-2026")  # type: ignore[attr-defined]
    text = page.inner_text("main")  # type: ignore[attr-defined]
    assert "CVE-2023-27997" in text
    assert "Telnet" not in text
    assert "EHR-GAIRAI-01" not in text  # no terminals, no other vendors' lines
    _shot(page, "vendor-view")
    page.goto(f"{server}/admin/invitations")  # type: ignore[attr-defined]
    assert "404" in page.inner_text("h1")  # type: ignore[attr-defined]


def test_hospital_fills_the_hearing_sheet_online(server: str, browser_page: object) -> None:
    page = browser_page
    _login(page, server, "it@demo-hospital.example")
    page.goto(f"{server}/engagements/demo-2026/hearing")  # type: ignore[attr-defined]
    page.fill("[name='institution.bed_count']", "三百")  # type: ignore[attr-defined]
    page.click("#institution + form button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector(".field-error")  # type: ignore[attr-defined]
    _shot(page, "hospital-hearing-error")
    page.fill("[name='institution.bed_count']", "320")  # type: ignore[attr-defined]
    page.fill("[name='institution.contact1.phone']", "000-0000-0009")  # type: ignore[attr-defined]
    page.click("#institution + form button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("p.notice")  # type: ignore[attr-defined]
    assert page.input_value("[name='institution.contact1.phone']") == "000-0000-0009"  # type: ignore[attr-defined]
    # A new vendor with its contact, then a new line whose contract it holds.
    page.fill("[name='vendors.2.company']", "架空ワイヤレス株式会社")  # type: ignore[attr-defined]
    page.fill("[name='vendors.2.manages']", "来院者用Wi-Fi")  # type: ignore[attr-defined]
    page.fill("[name='vendors.2.contact_email']", "wifi@wireless.example")  # type: ignore[attr-defined]
    page.click("#vendors + p + form button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("[name='vendors.2.contact_name'].invalid")  # type: ignore[attr-defined]
    page.locator("[name='vendors.2.contact_name']").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "hospital-hearing-vendor-error.png"))  # type: ignore[attr-defined]
    page.fill("[name='vendors.2.contact_name']", "無線 四郎")  # type: ignore[attr-defined]
    page.click("#vendors + p + form button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("p.notice")  # type: ignore[attr-defined]
    points = page.locator("#connection_points + p + form fieldset.new-row").first  # type: ignore[attr-defined]
    points.locator("input[name$='.name']").fill("来院者用Wi-Fi回線")
    points.locator("select[name$='.kind']").select_option("wireless")
    points.locator("select[name$='.in_ehr_scope']").select_option("no")
    points.locator("input[name$='.scope_reason']").fill("電子カルテ系とは物理的に分離")
    points.locator("select[name$='.holder_kind']").select_option("vendor")
    points.locator("input[name$='.holder_name']").fill("架空ワイヤレス株式会社")
    page.click("#connection_points + p + form button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("p.notice")  # type: ignore[attr-defined]
    assert "来院者用Wi-Fi回線" in page.inner_text("#connection_points + p + form")  # type: ignore[attr-defined]
    device = page.locator("#devices + p + form fieldset.new-row").first  # type: ignore[attr-defined]
    device.locator("input[name$='.name']").fill("来院者用Wi-Fiルータ")
    device.locator("select[name$='.role']").select_option("router")
    device.locator("input[name$='.connection_points']").fill("来院者用Wi-Fi回線")
    device.locator("select[name$='.managed_kind']").select_option("vendor")
    device.locator("input[name$='.managed_name']").fill("架空ワイヤレス株式会社")
    page.click("#devices + p + form button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("p.notice")  # type: ignore[attr-defined]
    assert "来院者用Wi-Fiルータ" in page.inner_text("#devices + p + form")  # type: ignore[attr-defined]
    _shot(page, "hospital-hearing")
    page.goto(f"{server}/engagements/demo-2026/hearing?lang=en")  # type: ignore[attr-defined]
    assert "Line contract holder" in page.content()  # type: ignore[attr-defined]
    page.goto(f"{server}/engagements/demo-2026/hearing?lang=ja")  # type: ignore[attr-defined]
    page.click("nav.tabs >> text=端末調査")  # type: ignore[attr-defined]
    page.once("dialog", lambda dialog: dialog.accept())  # type: ignore[attr-defined]
    page.locator("#picked + p + table tr", has_text="T-05").locator("button").click()  # type: ignore[attr-defined]
    page.fill("#hostname", "RECEPT-01")  # type: ignore[attr-defined]
    page.click("text=端末を追加")  # type: ignore[attr-defined]
    page.wait_for_selector("text=RECEPT-01")  # type: ignore[attr-defined]
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.click("text=収集ツールをダウンロード")  # type: ignore[attr-defined]
    assert download.value.suggested_filename == "kenshin-collector.ps1"
    _shot(page, "hospital-terminals")
    page.click("nav.tabs >> text=概要・指摘事項")  # type: ignore[attr-defined]
    page.click("text=本日このアドレスであることを確認しました")  # type: ignore[attr-defined]
    page.wait_for_selector("text=最終確認")  # type: ignore[attr-defined]


def test_vendor_answers_with_the_device_output_and_surveyor_sees_the_version(
    server: str, browser_page: object, tmp_path: Path
) -> None:
    """The vendor answers by uploading the device's output; the parser reads the version."""
    page = browser_page
    output = tmp_path / "show-system.txt"
    output.write_text(
        "System Overview\nProduct: Ivanti Connect Secure 22.7R2.3 (build 3431)\n",
        encoding="utf-8",
    )
    _login(page, server, "ehr@vendor.example")
    page.click("text=demo-2026")  # type: ignore[attr-defined]
    page.click("nav.tabs >> text=ご依頼事項")  # type: ignore[attr-defined]
    _shot(page, "vendor-requests")
    section = page.locator("section.request").first  # type: ignore[attr-defined]
    section.locator("input[name=note]").fill("管理画面のシステム情報を保存しました")
    section.locator("input[type=file]").set_input_files(str(output))
    section.locator("button[type=submit]").click()
    page.wait_for_selector("p.notice")  # type: ignore[attr-defined]
    answered = page.locator("section.request", has_text="show-system.txt")  # type: ignore[attr-defined]
    assert "22.7R2.3" in answered.inner_text()
    _shot(page, "vendor-request-output-uploaded")
    _login(page, server, "surveyor@kenshin.example")
    page.goto(f"{server}/engagements/demo-2026/requests")  # type: ignore[attr-defined]
    answered = page.locator("section.request", has_text="show-system.txt")  # type: ignore[attr-defined]
    text = answered.inner_text()
    assert "22.7R2.3" in text
    assert "回答済" in text
    _shot(page, "surveyor-request-parsed-version")
    with page.expect_download() as download:  # type: ignore[attr-defined]
        answered.locator("a", has_text="show-system.txt").click()
    assert download.value.suggested_filename == "show-system.txt"
    assert "Ivanti" in Path(download.value.path()).read_text(encoding="utf-8")


def test_surveyor_board_and_report(server: str, browser_page: object) -> None:
    page = browser_page
    _login(page, server, "surveyor@kenshin.example")
    page.click("header >> text=案件の進捗")  # type: ignore[attr-defined]
    _shot(page, "surveyor-board")
    page.goto(f"{server}/engagements/demo-2026/report")  # type: ignore[attr-defined]
    page.click("button:has-text('報告書を作成')")  # type: ignore[attr-defined]
    # A REPORT job: the jobs page follows it until it is done, then the files are listed.
    page.wait_for_selector("tr[data-job][data-state=succeeded]", timeout=120000)  # type: ignore[attr-defined]
    page.goto(f"{server}/engagements/demo-2026/report")  # type: ignore[attr-defined]
    page.wait_for_selector("#report-files")  # type: ignore[attr-defined]
    _shot(page, "surveyor-report")
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.click("text=報告書（PDF）")  # type: ignore[attr-defined]
    path = download.value.path()
    assert Path(path).read_bytes().startswith(b"%PDF-")
    page.goto(f"{server}/engagements/demo-2026/jobs")  # type: ignore[attr-defined]
    _shot(page, "surveyor-jobs")


@pytest.fixture
def lab_server(lab: object, tmp_path: Path) -> Iterator[tuple[str, list[int]]]:
    """A server whose engagement authorises one lab host's address, with a window now."""
    _need_browser()
    import dataclasses
    from datetime import UTC, datetime, timedelta

    import uvicorn

    from kenshin.domain import Authorisation, DiagnosisWindow, GlobalAddress

    services = lab.services  # type: ignore[attr-defined]
    host = next(
        h
        for h in lab.hosts.values()  # type: ignore[attr-defined]
        if h.firewall is None
        and any(s.address == h.address and s.protocol == "tcp" for s in services)
    )
    ports = sorted({s.port for s in services if s.address == host.address and s.protocol == "tcp"})[
        :6
    ]
    now = datetime.now(UTC)
    demo = read_file(demo_file())
    first = demo.connection_points[0]
    point = dataclasses.replace(
        first,
        addresses=(
            dataclasses.replace(
                first.addresses[0], address=type(first.addresses[0].address)(host.address)
            ),
        ),
    )
    assert isinstance(point.addresses[0], GlobalAddress)
    engagement = dataclasses.replace(
        demo,
        code="lab-2026",
        title="テストラボ診断",
        connection_points=(point,),
        devices=tuple(d for d in demo.devices if d.connection_points == (first.key,)),
        window=DiagnosisWindow(now - timedelta(minutes=30), now + timedelta(hours=1)),
        authorisation=Authorisation("院長 健診 一郎", now - timedelta(days=1), "LAB-TEST-001"),
    )
    store = open_store(f"sqlite:///{tmp_path / 'lab.sqlite3'}")
    with store.session() as session:
        EngagementRepository(session).save(engagement)
        Accounts(session).create_user(
            "surveyor@kenshin.example", PASSWORD, Role.SURVEYOR, "調査 花子"
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(store, WebSettings(report_dir=tmp_path / "reports", secure_cookies=False))
    web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not web.started and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}", ports
    finally:
        web.should_exit = True
        thread.join(timeout=10)
        store.dispose()


@pytest.mark.lab
def test_surveyor_scans_the_lab_and_downloads_the_report(
    lab_server: tuple[str, list[int]], browser_page: object
) -> None:
    server, ports = lab_server
    page = browser_page
    _login(page, server, "surveyor@kenshin.example")
    page.goto(f"{server}/engagements/lab-2026/jobs")  # type: ignore[attr-defined]
    page.fill("#ports", ",".join(str(p) for p in ports) or "22")  # type: ignore[attr-defined]
    page.select_option("#profile", "lab")  # type: ignore[attr-defined]
    page.click("text=スキャンを開始")  # type: ignore[attr-defined]
    page.wait_for_selector("tr[data-job]")  # type: ignore[attr-defined]
    _shot(page, "surveyor-scan-started")
    # The page polls /api/jobs/<id>; the row's state turns to 完了 without a reload.
    page.wait_for_selector("tr[data-job][data-state=succeeded]", timeout=240000)  # type: ignore[attr-defined]
    assert "100%" in page.inner_text("tr[data-job]")  # type: ignore[attr-defined]
    jobs = page.request.get(f"{server}/api/engagements/lab-2026/jobs").json()  # type: ignore[attr-defined]
    assert int(jobs[0]["result"]["open"]) >= 1  # the lab's services were found
    _shot(page, "surveyor-scan-done")
    page.reload()  # type: ignore[attr-defined]
    assert "完了" in page.inner_text("#jobs")  # type: ignore[attr-defined]
    page.goto(f"{server}/engagements/lab-2026/report")  # type: ignore[attr-defined]
    page.click("button:has-text('報告書を作成')")  # type: ignore[attr-defined]
    page.wait_for_selector("tr[data-job][data-state=succeeded] >> text=報告書作成", timeout=120000)  # type: ignore[attr-defined]
    page.goto(f"{server}/engagements/lab-2026/report")  # type: ignore[attr-defined]
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.click("text=報告書（PDF）")  # type: ignore[attr-defined]
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    _shot(page, "surveyor-lab-report")
