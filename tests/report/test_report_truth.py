"""The report tells the truth (issue 18): no false comfort, one fix, no urgent item dropped.

- A report made before the remote diagnosis and the terminal survey says those parts are
  not done, turns the firmware table's verdicts into findings and never says "no
  problems".
- The firmware table, the summary and findings.xlsx name the same fix for a device.
- The summary lists every urgent (and high) action, however many.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from openpyxl import load_workbook
from report_fixtures import demo_report_input, firmware_rows

from kenshin.domain import (
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    Severity,
    Upgrade,
    VersionSource,
)
from kenshin.report import FirmwareRow, FirmwareStatus, build_view, render_html
from kenshin.report.sections.summary import SurveyPart
from kenshin.report.view import ReportView
from kenshin.report.xlsx import write_xlsx

COMFORT = ("実施した範囲では問題は見つかっていません", "問題は見つかりませんでした")


def _before_scan(engagement: Engagement) -> ReportView:
    """What the report says when only the hearing sheet and the firmware check are done."""
    base = demo_report_input(engagement)
    report = replace(base, findings=(), scan=None, terminals=None)
    return build_view(report, "ja")


def _part(view: ReportView, key: str) -> SurveyPart:
    return next(p for p in view.summary.parts if p.key == key)


def test_before_any_scan_the_remote_diagnosis_and_terminals_are_not_done(
    demo_engagement: Engagement,
) -> None:
    view = _before_scan(demo_engagement)
    assert _part(view, "remote").state == "not_done"
    assert _part(view, "terminals").state == "not_done"
    assert _part(view, "remote").state_label == "未実施"
    html = render_html(view)
    summary = html[html.index('<section id="summary">') : html.index('<section id="scope">')]
    assert "未実施" in summary
    assert "0 台" not in summary  # terminals not surveyed are not "0 terminals surveyed"


def test_before_any_scan_firmware_verdicts_are_findings(demo_engagement: Engagement) -> None:
    view = _before_scan(demo_engagement)
    cves = {cve for f in view.findings for cve in f.cves}
    assert {"CVE-2023-27997", "CVE-2024-21762"} <= cves  # DEV-01's affected row
    version_unknown = [f for f in view.findings if f.device_key == "DEV-03"]
    assert version_unknown  # DEV-03's "version unknown" row is a finding too
    patches = next(c for c in view.checklist_table.lines if c.ref == "2-⑪")
    assert patches.status == "not_met"
    assert patches.findings


def test_before_any_scan_the_summary_never_says_no_problems(demo_engagement: Engagement) -> None:
    view = _before_scan(demo_engagement)
    assert view.summary.judgement_level not in ("good", "pending")
    html = render_html(view)
    for phrase in COMFORT:
        assert phrase not in html


def test_parts_not_done_and_nothing_found_is_pending_not_good(
    demo_engagement: Engagement,
) -> None:
    clean = tuple(
        replace(r, status=FirmwareStatus.NOT_AFFECTED, cves=(), kev=False, fixed_version="")
        for r in firmware_rows()
    )
    base = demo_report_input(demo_engagement)
    view = build_view(replace(base, findings=(), scan=None, terminals=None, firmware=clean), "ja")
    assert view.summary.judgement_level == "pending"
    assert "リモート診断" in view.summary.judgement_text
    for phrase in COMFORT:
        assert phrase not in render_html(view)


def test_everything_done_and_clean_may_say_good(demo_engagement: Engagement) -> None:
    """The other way: the comfort sentence is still there when it is true."""
    clean = tuple(
        replace(
            r,
            status=FirmwareStatus.NOT_AFFECTED,
            cves=(),
            kev=False,
            fixed_version="",
            version=r.version or "1.0",
            version_source=VersionSource.VENDOR,
        )
        for r in firmware_rows()
    )
    engagement = replace(
        demo_engagement,
        devices=tuple(
            replace(
                d, firmware_version=d.firmware_version or "1.0", version_source=VersionSource.VENDOR
            )
            for d in demo_engagement.devices
        ),
    )
    base = demo_report_input(engagement)
    scan = (
        replace(base.scan, hosts=tuple(replace(h, findings=()) for h in base.scan.hosts))
        if base.scan
        else None
    )
    terminals = tuple(replace(row, verdicts={}) for row in base.terminals or ())
    view = build_view(
        replace(base, findings=(), scan=scan, firmware=clean, terminals=terminals), "ja"
    )
    assert [p.state for p in view.summary.parts] == ["done"] * 4
    assert view.summary.judgement_level == "good"


# -- one fix per device ----------------------------------------------------------------------


def _fortios(cve: str, fixed: str) -> Finding:
    return Finding(
        check_id=f"firmware.{cve}",
        category=FindingCategory.VULNERABILITY,
        severity=Severity.CRITICAL,
        title_ja=f"{cve}: FortiOS の脆弱性",
        title_en=f"{cve}: FortiOS vulnerability",
        subject=FindingSubject(device_key="DEV-01"),
        remediation_ja=f"FortiOS を {fixed} 以降へ更新してください。",
        cves=(cve,),
        kev=True,
        cvss=9.8,
        upgrade=Upgrade("FortiOS", fixed, "fortios"),
    )


def test_table_summary_and_excel_name_the_same_fix(
    demo_engagement: Engagement, tmp_path: Path
) -> None:
    findings = (
        _fortios("CVE-2023-27997", "7.0.12"),
        _fortios("CVE-2024-21762", "7.0.14"),
        _fortios("CVE-2024-55591", "7.0.17"),
        _fortios("CVE-2024-23113", "7.0.14"),
    )
    row = FirmwareRow(
        "DEV-01",
        "Fortinet",
        "FortiGate 60F",
        "v7.0.11,build0489 (GA)",
        VersionSource.VENDOR,
        FirmwareStatus.AFFECTED,
        tuple(f.cves[0] for f in findings),
        True,
        "7.0.12",  # what the first match said: must not win
        scheme="fortios",
    )
    base = demo_report_input(demo_engagement, with_scan_findings=False)
    view = build_view(replace(base, findings=findings, firmware=(row, *base.firmware[1:])), "ja")

    table = next(r for r in view.firmware.rows or () if r.key == "DEV-01")
    assert table.fixed == "7.0.17"
    action = next(a for a in view.summary.top_actions if a.lead.device_key == "DEV-01")
    assert "7.0.17 以降" in action.text
    assert "7.0.12" not in action.text
    assert "7.0.14" not in action.text

    write_xlsx(view, tmp_path / "findings.xlsx")
    sheet = load_workbook(tmp_path / "findings.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    fix_col = header.index("更新先の版")
    device_col = header.index("機器")
    fixes = {
        r[fix_col].value
        for r in sheet.iter_rows(min_row=2)
        if r[device_col].value and str(r[device_col].value).startswith("DEV-01")
    }
    assert fixes == {"7.0.17"}
    devices = load_workbook(tmp_path / "findings.xlsx")["機器"]
    dev01 = next(r for r in devices.iter_rows(min_row=2, values_only=True) if r[0] == "DEV-01")
    assert "7.0.17" in dev01


# -- every urgent action in the summary ------------------------------------------------------


def _exposure(port: int, name: str) -> Finding:
    return Finding(
        check_id=f"exposure.{name}",
        category=FindingCategory.EXPOSURE,
        severity=Severity.CRITICAL,
        title_ja=f"{name} がインターネットに公開（{port}/tcp）",
        title_en=f"{name} open to the internet",
        subject=FindingSubject(address="198.18.20.20", port=port, protocol="tcp"),
        remediation_ja=f"{name} をインターネットから遮断してください（{port}）。",
        cvss=9.0,
    )


def test_the_summary_lists_every_urgent_action(demo_engagement: Engagement) -> None:
    names = ["rdp", "telnet", "vnc", "smb", "database", "ftp", "snmp", "remote_admin", "ssh"]
    findings = tuple(_exposure(3000 + i, name) for i, name in enumerate(names))
    base = demo_report_input(demo_engagement, with_scan_findings=False)
    view = build_view(replace(base, findings=findings), "ja")
    urgent = {f.id for f in view.open_findings if f.priority.value == "urgent"}
    assert len(urgent) == len(names)
    listed = {i for a in [*view.summary.top_actions, *view.summary.more_actions] for i in a.ids}
    assert urgent <= listed
    html = render_html(view)
    summary = html[html.index('<section id="summary">') : html.index('<section id="scope">')]
    for finding_id in urgent:
        assert finding_id in summary
    assert "rdp をインターネットから遮断してください" in summary


def test_the_demo_summary_shows_the_rdp_exposure(demo_engagement: Engagement) -> None:
    view = build_view(demo_report_input(demo_engagement), "ja")
    html = render_html(view)
    summary = html[html.index('<section id="summary">') : html.index('<section id="scope">')]
    assert "RDP" in summary


def test_a_terminal_left_out_of_the_audit_makes_the_part_partial(
    demo_engagement: Engagement,
) -> None:
    base = demo_report_input(demo_engagement)
    view = build_view(replace(base, terminals=(base.terminals or ())[:3]), "ja")
    part = _part(view, "terminals")
    assert part.state == "partial"
    assert re.search(r"T-04.*T-05", part.missing)


# -- action sheets and vendor requests ------------------------------------------------------


def test_every_open_finding_is_on_exactly_one_action_sheet(demo_engagement: Engagement) -> None:
    view = build_view(demo_report_input(demo_engagement), "ja")
    sheets = view.sheets
    owners = [s.owner for s in sheets]
    assert owners[-1] == "医療機関"  # vendors first, the hospital last
    assert "架空メディカルシステムズ株式会社" in owners
    ids = [i for s in sheets for a in s.actions for i in a.ids]
    expected = [f.id for f in view.open_findings if f.priority.value != "info"]
    assert sorted(ids) == sorted(expected)
    rdp = next(a for s in sheets for a in s.actions if any("3389" in t for t in a.targets))
    assert rdp.due is not None
    assert str(rdp.due) == "2026-12-17"  # urgent: the report date + 7 days
    html = render_html(view)
    assert html.count('class="action-sheet"') == len(sheets)


def test_the_requests_chapter_says_what_became_of_each_answer(
    demo_engagement: Engagement,
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kenshin.report import RequestRow

    jst = ZoneInfo("Asia/Tokyo")
    rows = (
        RequestRow(
            "REQ-001",
            "架空ネットワークサービス株式会社",
            "DEV-01",
            None,
            "A",
            "answered",
            ("firmware",),
            sent_at=datetime(2026, 11, 24, 10, tzinfo=jst),
            answered_at=datetime(2026, 11, 26, 10, tzinfo=jst),
            answer={
                "firmware": "v7.0.11,build0489 (GA)",
                "note": "password: Hospital-Vendor#2026!",
            },
        ),
        RequestRow(
            "REQ-002",
            "架空メディカルシステムズ株式会社",
            "DEV-03",
            None,
            "B",
            "sent",
            ("firmware",),
            sent_at=datetime(2026, 11, 24, 10, tzinfo=jst),
        ),
    )
    base = demo_report_input(demo_engagement)
    view = build_view(replace(base, requests=rows), "ja")
    answered, waiting = view.requests
    assert "第3章" in answered.used
    assert "v7.0.11" in answered.answer
    assert "Hospital-Vendor#2026!" not in answered.answer
    assert waiting.status == "依頼済"
    assert "回答待ち" in waiting.used
    assert waiting.path.startswith("B")
    html = render_html(view)
    assert "Hospital-Vendor#2026!" not in html
    none = build_view(replace(base, requests=None), "ja")
    assert none.requests is None
    assert "取り込まれていません" in render_html(none)


def test_the_demo_report_fits_in_35_pages(demo_ja: object) -> None:
    import subprocess

    from report_render import Rendered, need_tool

    assert isinstance(demo_ja, Rendered)
    info = subprocess.run(
        [need_tool("pdfinfo"), str(demo_ja.files.pdf)], capture_output=True, check=True, timeout=60
    ).stdout.decode()
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert pages <= 35


def test_each_card_names_the_device_fix_not_its_own_first_fix(
    demo_engagement: Engagement,
) -> None:
    findings = (_fortios("CVE-2023-27997", "7.0.12"), _fortios("CVE-2024-55591", "7.0.17"))
    base = demo_report_input(demo_engagement, with_scan_findings=False)
    view = build_view(replace(base, findings=findings), "ja")
    early = next(i for i in view.items if "CVE-2023-27997" in i.cves)
    assert early.remediation.startswith("FortiOS を 7.0.17 以降へ更新してください")
    assert "7.0.12 で修正されています" in early.remediation
    late = next(i for i in view.items if "CVE-2024-55591" in i.cves)
    assert late.remediation == "FortiOS を 7.0.17 以降へ更新してください。"  # its own text


# -- coverage ------------------------------------------------------------------------------


def test_each_open_port_says_which_checks_applied_and_what_they_found(
    demo_engagement: Engagement,
) -> None:
    view = build_view(demo_report_input(demo_engagement), "ja")
    ports = {(h.address, p.port): p.checks for h in view.remote.hosts for p in h.open_ports}
    assert "公開サービス: 指摘あり" in ports[("198.18.20.20", 3389)]
    # no version shown: the known-vulnerability check could not tell, never "nothing found"
    assert "既知脆弱性・バージョン: バージョン不明のため判断できず" in ports[("198.18.20.20", 443)]
    assert "既知脆弱性・バージョン: 指摘あり" in ports[("198.18.10.10", 443)]
    assert "バックドア診断: 問題なし" in ports[("198.18.10.10", 443)]
    assert ports[("198.18.20.20", 500)] == "該当する検査なし（応答の確認のみ）"


def test_closed_ports_are_counted_not_listed(demo_engagement: Engagement) -> None:
    view = build_view(demo_report_input(demo_engagement), "ja")
    utm = next(h for h in view.remote.hosts if h.address == "198.18.10.10")
    tcp = next(c for c in utm.coverage.split("／") if c.startswith("TCP"))
    assert tcp.startswith("TCP 3 ポート")
    assert "閉鎖 1" in tcp
    html = render_html(view)
    appendix = html[html.index('<section id="appendix">') :]
    assert ">22<" not in appendix  # the closed port 22 is a count, not a row


def test_firmware_gaps_add_only_what_no_finding_states(demo_engagement: Engagement) -> None:
    from kenshin.report.gaps import firmware_gap_findings

    base = demo_report_input(demo_engagement, with_scan_findings=False)
    empty = firmware_gap_findings(replace(base, findings=()))
    dev01 = [f for f in empty if f.subject.device_key == "DEV-01"]
    assert sorted(c for f in dev01 for c in f.cves) == ["CVE-2023-27997", "CVE-2024-21762"]
    assert all(len(f.cves) == 1 for f in dev01)  # one per CVE: never bridges two issues
    assert any(f.subject.device_key == "DEV-03" for f in empty)  # version unknown
    # the stored findings state DEV-01's CVEs and DEV-03's unknown version: nothing to add
    stated = firmware_gap_findings(base)
    assert not [f for f in stated if f.subject.device_key in ("DEV-01", "DEV-03")]
    assert firmware_gap_findings(replace(base, firmware=None)) == []


def test_findings_json_carries_the_device_fix_and_due_date(demo_engagement: Engagement) -> None:
    from kenshin.report.exports import findings_document

    findings = (_fortios("CVE-2023-27997", "7.0.12"), _fortios("CVE-2024-55591", "7.0.17"))
    base = demo_report_input(demo_engagement, with_scan_findings=False)
    document = findings_document(build_view(replace(base, findings=findings), "ja"))
    early = next(f for f in document["findings"] if f["cves"] == ["CVE-2023-27997"])
    assert early["fix_version"] == "7.0.17"
    assert early["upgrade"]["fixed_version"] == "7.0.12"  # its own fix is still there
    assert early["device"] == "DEV-01 本館UTM"
    assert early["due"] == "2026-12-17"
