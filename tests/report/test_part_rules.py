"""One rule per survey part, read by every output (summary, scope, checklist, exports).

A part is "done" only when all of it was covered, "partly done" when some was, and "not
done" when none was (or there was nothing to cover): a scan run that diagnosed none of the
engagement's addresses, or a firmware check with no device, is never "carried out: nothing
found", and the checklist is never "met" on a remote diagnosis that left an address out.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from openpyxl import load_workbook
from report_fixtures import demo_report_input, firmware_rows

from kenshin.assess import ChecklistStatus
from kenshin.domain import ContractHolder, Engagement, HolderKind, PartState, VersionSource
from kenshin.report import FirmwareRow, FirmwareStatus, ReportInput, build_view, render_html
from kenshin.report.exports import findings_document
from kenshin.report.gaps import firmware_gap_findings
from kenshin.report.sections.scope import FAMILIES
from kenshin.report.view import ReportView
from kenshin.report.xlsx import write_xlsx

NOTHING_FOUND = "実施・問題は見つからず"


def _clean(engagement: Engagement) -> ReportInput:
    """Every part done and nothing found: the input the other tests take parts away from."""
    engagement = replace(
        engagement,
        devices=tuple(
            replace(
                d, firmware_version=d.firmware_version or "1.0", version_source=VersionSource.VENDOR
            )
            for d in engagement.devices
        ),
    )
    base = demo_report_input(engagement)
    firmware = tuple(
        replace(r, status=FirmwareStatus.NOT_AFFECTED, cves=(), kev=False, fixed_version="")
        for r in firmware_rows(engagement)
    )
    assert base.scan is not None
    scan = replace(base.scan, hosts=tuple(replace(h, findings=()) for h in base.scan.hosts))
    terminals = tuple(replace(row, verdicts={}) for row in base.terminals or ())
    return replace(base, findings=(), scan=scan, firmware=firmware, terminals=terminals)


def _state(view: ReportView, key: str) -> PartState:
    return next(p.state for p in view.summary.parts if p.key == key)


def _outcomes(view: ReportView, part: str) -> list[str]:
    rows = zip(FAMILIES, view.scope.check_families, strict=True)
    return [row.outcome for (_, of_part, _), row in rows if of_part == part]


def _scan_items(view: ReportView) -> list[ChecklistStatus]:
    return [r.status for r in view.checklist_results if r.item.scan]


def test_all_done_and_clean_is_done_everywhere(demo_engagement: Engagement) -> None:
    view = build_view(_clean(demo_engagement), "ja")
    assert {p.state for p in view.summary.parts} == {PartState.DONE}
    assert ChecklistStatus.MET in _scan_items(view)
    assert NOTHING_FOUND in _outcomes(view, "remote")


def test_a_scan_run_that_diagnosed_no_address_is_not_done(demo_engagement: Engagement) -> None:
    """Old code: the part read "partly done" and every remote family "nothing found"."""
    clean = _clean(demo_engagement)
    assert clean.scan is not None
    view = build_view(replace(clean, scan=replace(clean.scan, hosts=())), "ja")
    assert _state(view, "remote") is PartState.NOT_DONE
    assert view.summary.judgement_level == "pending"
    assert NOTHING_FOUND not in _outcomes(view, "remote")
    assert set(_outcomes(view, "remote")) == {"未実施"}
    assert ChecklistStatus.MET not in _scan_items(view)


def test_the_checklist_is_not_met_on_a_remote_diagnosis_done_in_part(
    demo_engagement: Engagement,
) -> None:
    """Old code: one address diagnosed of two was enough for "met"; the summary said
    "partly done" at the same time."""
    clean = _clean(demo_engagement)
    assert clean.scan is not None
    view = build_view(replace(clean, scan=replace(clean.scan, hosts=clean.scan.hosts[:1])), "ja")
    assert _state(view, "remote") is PartState.PARTIAL
    assert ChecklistStatus.MET not in _scan_items(view)
    assert {r.reason for r in view.checklist_results if r.item.scan} == {
        "assess.checklist.no_evidence"
    }


def test_a_firmware_check_of_no_device_is_not_done(demo_engagement: Engagement) -> None:
    """Old code: 0 of 0 devices checked read "done" and "carried out: nothing found"."""
    view = build_view(replace(_clean(demo_engagement), firmware=()), "ja")
    assert _state(view, "firmware") is PartState.NOT_DONE
    assert _outcomes(view, "firmware") == ["未実施"]
    assert view.summary.judgement_level == "pending"


def test_a_point_without_a_holder_is_named_as_missing(demo_engagement: Engagement) -> None:
    """Old code: the part read "partly done" with nothing in its "missing" column."""
    clean = _clean(demo_engagement)
    points = tuple(
        replace(p, contract_holder=ContractHolder(HolderKind.OTHER)) if p.key == "CP-01" else p
        for p in clean.engagement.connection_points
    )
    view = build_view(
        replace(clean, engagement=replace(clean.engagement, connection_points=points)), "ja"
    )
    part = next(p for p in view.summary.parts if p.key == "connection_points")
    assert part.state is PartState.PARTIAL
    assert "CP-01" in part.missing


def test_no_findings_before_the_scan_never_reads_as_no_problems(
    demo_engagement: Engagement, tmp_path: Path
) -> None:
    """Every output says the remote diagnosis is not done: the report, findings.json and
    findings.xlsx (old code: the workbook said only "there are no findings", the JSON
    only ``judgement`` and zero counts)."""
    view = build_view(replace(_clean(demo_engagement), scan=None), "ja")
    assert view.items == ()
    assert view.summary.judgement_level == "pending"

    document = findings_document(view)
    assert document["judgement"] == "pending"
    parts = {p["part"]: p["state"] for p in document["survey_parts"]}
    assert parts["remote"] == "not_done"
    assert parts["firmware"] == "done"

    write_xlsx(view, tmp_path / "findings.xlsx")
    sheet = load_workbook(tmp_path / "findings.xlsx").worksheets[0]
    empty = str(sheet.cell(row=2, column=1).value)
    assert "リモート診断" in empty
    assert "問題がないという意味ではありません" in empty

    html = render_html(view)
    appendix = html[html.index('<section id="appendix">') :]
    assert view.summary.no_findings in appendix
    assert '<p class="good">指摘事項はありません。</p>' not in appendix


def test_no_findings_when_everything_was_done_says_so(
    demo_engagement: Engagement, tmp_path: Path
) -> None:
    view = build_view(_clean(demo_engagement), "ja")
    assert view.summary.no_findings == "指摘事項はありません。"
    write_xlsx(view, tmp_path / "findings.xlsx")
    sheet = load_workbook(tmp_path / "findings.xlsx").worksheets[0]
    assert sheet.cell(row=2, column=1).value == "指摘事項はありません。"


def test_an_out_of_scope_device_is_no_gap_of_the_firmware_part(
    demo_engagement: Engagement,
) -> None:
    """The firmware part covers the devices in scope (``Engagement.device_in_scope``), as
    the vendor request plan and the checklist's ledger do: the guest Wi-Fi's access point
    (DEV-05 on CP-04) keeps its row in the firmware table but is no survey gap."""
    base = _clean(demo_engagement)
    guest = next(d for d in base.engagement.devices if d.key == "DEV-05")
    assert not base.engagement.device_in_scope(guest)
    assert base.firmware is not None
    unjudged = FirmwareRow(guest, FirmwareStatus.VERSION_UNKNOWN, advice_ja="-", advice_en="-")
    report = replace(base, firmware=(*base.firmware, unjudged))
    view = build_view(report, "ja")
    part = next(p for p in view.summary.parts if p.key == "firmware")
    assert part.state is PartState.DONE
    assert "DEV-05" not in part.missing
    assert part.detail == "4 台中 4 台のバージョンを脆弱性情報と照合"
    assert "DEV-05" not in view.scope.firmware_gap
    assert firmware_gap_findings(report) == []
    firmware_items = [r for r in view.checklist_results if r.item.firmware]
    assert firmware_items
    # the checklist names the firmware check among what it still lacks only for a gap
    assert all("firmware" not in str(r.params.get("sources", "")) for r in firmware_items)
    # an unjudged device in scope still is a gap
    dev_04 = next(r for r in base.firmware if r.device.key == "DEV-04")
    left = replace(base, firmware=(*base.firmware, replace(dev_04, status=unjudged.status)))
    partial = build_view(left, "ja")
    assert _state(partial, "firmware") is PartState.PARTIAL
    lacking = [
        str(r.params.get("sources", "")) for r in partial.checklist_results if r.item.firmware
    ]
    assert any("firmware" in sources for sources in lacking)
