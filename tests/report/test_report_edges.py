"""Edge cases: nothing found, a device of unknown firmware, no terminals, nothing done yet.

Each must give a report that says what happened in words — never an empty table, never
an error.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from report_fixtures import GENERATED_AT, SCAN_END, SCAN_START, demo_report_input, firmware_rows
from report_render import pdf_text

from kenshin.domain import (
    Engagement,
    HostResult,
    PortCount,
    PortResult,
    PortState,
    Protocol,
    ScanReport,
    Terminal,
    TerminalRole,
    VersionSource,
)
from kenshin.report import (
    AuditedTerminal,
    FirmwareRow,
    FirmwareStatus,
    ReportInput,
    TerminalVerdict,
    VerdictStatus,
    Versions,
    build_view,
    render_html,
    write_report,
)


def _html(report: ReportInput, lang: str = "ja") -> str:
    return render_html(build_view(report, lang))


def _no_empty_tables(html: str) -> None:
    assert not re.search(r"<tbody>\s*</tbody>", html)


def _clean_engagement(engagement: Engagement) -> Engagement:
    """Every in-scope device with a known version."""
    return replace(
        engagement,
        devices=tuple(
            replace(d, firmware_version="22.7R2.4", version_source=VersionSource.VENDOR)
            if d.key == "DEV-03"
            else d
            for d in engagement.devices
        ),
    )


def _nothing_found(engagement: Engagement) -> ReportInput:
    ok = TerminalVerdict(VerdictStatus.OK, "良好", "fine")
    return ReportInput(
        engagement=_clean_engagement(engagement),
        versions=Versions("0.1.0"),
        generated_at=GENERATED_AT,
        findings=(),
        scan=ScanReport(
            SCAN_START,
            SCAN_END,
            hosts=(
                HostResult("198.18.10.10", (PortResult(Protocol.TCP, 443, PortState.FILTERED),)),
                HostResult("198.18.20.20", ()),
            ),
        ),
        firmware=tuple(
            replace(row, status=FirmwareStatus.NOT_AFFECTED, cves=(), kev=False)
            for row in firmware_rows(engagement)
        ),
        terminals=tuple(
            AuditedTerminal(
                Terminal(f"T-0{i}", f"PC-{i}", TerminalRole.EHR), "Windows 11", {"usb": ok}
            )
            for i in range(1, 6)
        ),
    )


def test_nothing_found_says_so(demo_engagement: Engagement) -> None:
    html = _html(_nothing_found(demo_engagement))
    assert "総合判定: 問題は見つかりませんでした" in html
    assert "緊急・高の指摘はありません。" in html
    assert "インターネットに開いているポートは見つかりませんでした。" in html
    assert "このアドレスでは問題は見つかりませんでした。" in html
    assert "指摘事項はありません。" in html
    assert "F-001" not in html
    _no_empty_tables(html)


def test_nothing_found_renders_all_outputs(demo_engagement: Engagement, tmp_path: Path) -> None:
    files = write_report(_nothing_found(demo_engagement), tmp_path, "ja")
    text = pdf_text(files.pdf)
    assert "問題は見つかりませんでした" in text
    from openpyxl import load_workbook

    sheet = load_workbook(files.xlsx).worksheets[0]
    assert sheet.cell(row=2, column=1).value == "指摘事項はありません。"


def test_unknown_firmware_device_is_explained(demo_engagement: Engagement) -> None:
    report = demo_report_input(demo_engagement)
    html = _html(report)
    assert "ファームウェアのバージョンを取得できなかった機器" in html
    assert "ベンダに照会中（回答待ち）。装置のログイン画面にはバージョンが表示されない。" in html
    assert "判断不可（バージョン不明）" in html
    _no_empty_tables(html)


def test_unknown_product_is_explained(demo_engagement: Engagement) -> None:
    rows = (
        FirmwareRow(demo_engagement.devices[3], FirmwareStatus.UNKNOWN_PRODUCT),
    )  # fmt: skip
    html = _html(replace(demo_report_input(demo_engagement), firmware=rows))
    assert "判断不可（製品情報なし）" in html


def test_all_versions_known_lists_no_gaps(demo_engagement: Engagement) -> None:
    report = _nothing_found(demo_engagement)
    html = _html(report)
    assert "ファームウェアのバージョンを取得できなかった機器" not in html


def test_no_terminals_imported(demo_engagement: Engagement) -> None:
    html = _html(replace(demo_report_input(demo_engagement), terminals=None))
    assert "端末調査の結果はまだ取り込まれていません" in html
    assert "調査予定の端末 5 台" in html
    assert "RAD-PACS-01" in html
    _no_empty_tables(html)


def test_engagement_without_terminals(demo_engagement: Engagement) -> None:
    engagement = replace(demo_engagement, terminals=())
    report = replace(
        demo_report_input(demo_engagement),
        engagement=engagement,
        terminals=(),
        findings=tuple(
            f for f in demo_report_input(demo_engagement).findings if not f.subject.terminal_key
        ),
    )
    html = _html(report)
    assert "調査した端末はありません。" in html
    _no_empty_tables(html)


def test_nothing_carried_out_yet_is_pending(demo_engagement: Engagement) -> None:
    report = ReportInput(
        engagement=demo_engagement, versions=Versions("0.1.0"), generated_at=GENERATED_AT
    )
    html = _html(report)
    assert "判定保留" in html
    assert "問題は見つかりませんでした" not in html
    assert "リモート脆弱性診断は本調査では実施していません。" in html
    assert "ファームウェアの脆弱性確認は本調査では実施していません。" in html
    assert "構成図は作成されていません" in html
    _no_empty_tables(html)


def test_unconfirmed_dynamic_address_is_not_diagnosed(demo_engagement: Engagement) -> None:
    report = demo_report_input(demo_engagement)
    assert report.scan is not None
    scan = replace(report.scan, hosts=report.scan.hosts[:1])
    html = _html(replace(report, scan=scan, engagement=demo_engagement))
    assert "動的IPを診断当日に確認できなかったため未診断" in html


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_edge_cases_render_in_both_languages(demo_engagement: Engagement, lang: str) -> None:
    for report in (
        _nothing_found(demo_engagement),
        ReportInput(engagement=demo_engagement, versions=Versions("0"), generated_at=GENERATED_AT),
    ):
        html = _html(report, lang)
        assert f'<html lang="{lang}">' in html
        _no_empty_tables(html)


def test_ports_probed_per_address_are_stated(demo_engagement: Engagement) -> None:
    report = _nothing_found(demo_engagement)
    assert report.scan is not None
    counted = HostResult(
        "198.18.10.10",
        (PortResult(Protocol.TCP, 443, PortState.FILTERED),),
        (),
        (PortCount(Protocol.TCP, PortState.CLOSED, "reset", 65534),),
    )
    scan = replace(report.scan, hosts=(counted, report.scan.hosts[1]))
    html = _html(replace(report, scan=scan))
    assert "<dt>調べたポート</dt>" in html
    assert "198.18.10.10: TCP 65535・UDP 0 ポート" in html
    quiet = _html(
        ReportInput(
            engagement=demo_engagement, versions=Versions("0.1.0"), generated_at=GENERATED_AT
        )
    )
    assert "<dt>調べたポート</dt>" not in quiet  # no scan, no coverage line


def test_the_scan_pacing_is_stated(demo_engagement: Engagement) -> None:
    """Coverage says how the diagnosis was paced: profile, ceiling, mode, rate changes."""
    from kenshin.report.model import ScanPacing

    pacing = ScanPacing("hospital", 300.0, True, 2, "syn", "default")
    html = _html(replace(_nothing_found(demo_engagement), pacing=pacing))
    assert "<dt>送信の速さ</dt>" in html
    assert "医療機関向けプロファイル（低速・安全）、1 アドレスあたり上限 毎秒 300 回、SYN" in html
    assert "（速度の変更 2 回）" in html
    assert "<dt>送信の速さ</dt>" not in _html(_nothing_found(demo_engagement))


def test_the_pacing_stated_is_what_one_address_received_at_most(
    demo_engagement: Engagement, tmp_path: Path
) -> None:
    """The hospital profile's 6,000/s is the whole scan's; one address got 300/s at most."""
    from kenshin.report.sources import latest_pacing
    from kenshin.scan import HOSPITAL, RunStatus
    from kenshin.scan.storage import ScanRunRepository
    from kenshin.store import EngagementRepository, open_store

    store = open_store(f"sqlite:///{tmp_path / 'pacing.sqlite3'}")
    try:
        with store.session() as session:
            EngagementRepository(session).save(demo_engagement)
            runs = ScanRunRepository(session)
            uid = runs.create(
                engagement_code=demo_engagement.code,
                targets=["198.18.10.10", "198.18.10.20"],
                tcp_ports="1-65535",
                udp_ports="53",
                options={"profile": "hospital", **HOSPITAL.as_options()},
                actor="t",
            )
            runs.finish(uid, RunStatus.FINISHED, tcp_mode="syn")
        with store.session() as session:
            pacing = latest_pacing(session, demo_engagement.code)
    finally:
        store.dispose()
    assert HOSPITAL.rate > HOSPITAL.target_rate
    assert pacing is not None
    assert pacing.rate == HOSPITAL.target_rate
