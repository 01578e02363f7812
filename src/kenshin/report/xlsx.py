"""findings.xlsx: the list the hospital works through with its vendors.

Sheets: the findings (one row per finding in priority order, coloured by priority, with
device and connection point, evidence in plain words, CVSS/KEV, the one fix version of
the device, owner and a suggested due date; the hospital fills in due date, status,
completion date, who checked it and notes — dates validated), the devices (firmware
verdicts), the terminals (one row per check), the checklist, and how to use it. Every
value comes from the report's view, so the workbook says what the PDF says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from kenshin.report.sections.summary import PRIORITY_COLOURS
from kenshin.report.view import ReportView

STATUSES = ("open", "in_progress", "done", "accepted", "not_applicable")
_COLUMNS: tuple[tuple[str, float], ...] = (
    ("id", 8),
    ("priority", 8),
    ("area", 12),
    ("device", 22),
    ("point", 22),
    ("target", 22),
    ("what", 34),
    ("evidence", 36),
    ("why", 40),
    ("fix", 40),
    ("fix_version", 14),
    ("cves", 18),
    ("cvss", 7),
    ("kev", 6),
    ("owner", 20),
    ("due", 12),
    ("status", 12),
    ("done_on", 12),
    ("checked_by", 14),
    ("note", 24),
)
_FILLABLE = ("due", "status", "done_on", "checked_by", "note")
# light tints of the priority colours, for whole rows
_ROW_TINTS = {
    "urgent": "F8D7DD",
    "high": "FBE3D6",
    "medium": "FBF1CC",
    "low": "DCE8F8",
    "info": "ECEEF2",
}
_FONT = "Noto Sans CJK JP"
_THIN = Side(style="thin", color="D5DAE3")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="2D4A7A")
_FILLABLE_FILL = PatternFill("solid", fgColor="FFF8E6")
_BODY = Font(name=_FONT, size=10)
_WRAP = Alignment(vertical="top", wrap_text=True)


def _column(name: str) -> int:
    return next(i for i, (n, _) in enumerate(_COLUMNS, start=1) if n == name)


def _header(sheet: Worksheet, labels: Sequence[tuple[str, float]]) -> None:
    for column, (label, width) in enumerate(labels, start=1):
        cell = sheet.cell(row=1, column=column, value=label)
        cell.font = Font(name=_FONT, bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cell.border = _BORDER
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = "B2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"


def _rows(sheet: Worksheet, rows: Sequence[Sequence[Any]]) -> None:
    for row, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            cell.font = _BODY
            cell.alignment = _WRAP
            cell.border = _BORDER
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(rows[0]))}{len(rows) + 1}"


def _status_label(view: ReportView, status: str) -> str:
    key = {"fixed": "done", "accepted": "accepted", "false_positive": "not_applicable"}.get(
        status, "open"
    )
    return view.t(f"report.x.status.{key}")


def _date_rule(
    view: ReportView, column: int, last: int, earliest: date, key: str
) -> DataValidation:
    """Only a real date on or after ``earliest`` may be typed in ``column``."""
    rule = DataValidation(
        type="date",
        operator="greaterThanOrEqual",
        formula1=f"DATE({earliest.year},{earliest.month},{earliest.day})",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=view.t("report.x.date_error_title"),
        error=view.t(key, date=earliest.isoformat()),
    )
    letter = get_column_letter(column)
    rule.add(f"{letter}2:{letter}{last}")
    return rule


def _findings_sheet(view: ReportView, sheet: Worksheet) -> None:
    t = view.t
    sheet.title = t("report.x.sheet")
    _header(sheet, [(t(f"report.x.col.{name}"), width) for name, width in _COLUMNS])
    items = view.items
    priority_fills = {
        p.value: PatternFill("solid", fgColor=colour.lstrip("#"))
        for p, colour in PRIORITY_COLOURS.items()
    }
    fillable = {_column(name) for name in _FILLABLE}
    for row, item in enumerate(items, start=2):
        values: dict[str, Any] = {
            "id": item.id,
            "priority": item.priority_label,
            "area": item.area_label,
            "device": item.device_label or None,
            "point": item.point_label or None,
            "target": item.target,
            "what": item.title,
            "evidence": "\n".join(item.plain_evidence) or None,
            "why": item.description or None,
            "fix": item.remediation or None,
            "fix_version": item.fix_version or None,
            "cves": ", ".join(item.cves) or None,
            "cvss": item.cvss,
            "kev": "KEV" if item.kev else None,
            "owner": item.owner,
            "due": item.due,
            "status": _status_label(view, item.status),
            "done_on": None,
            "checked_by": None,
            "note": item.status_reason or None,
        }
        tint = PatternFill("solid", fgColor=_ROW_TINTS[item.priority])
        for column, (name, _) in enumerate(_COLUMNS, start=1):
            cell = sheet.cell(row=row, column=column, value=values[name])
            cell.font = _BODY
            cell.alignment = _WRAP
            cell.border = _BORDER
            cell.fill = _FILLABLE_FILL if column in fillable else tint
        priority_cell = sheet.cell(row=row, column=_column("priority"))
        priority_cell.fill = priority_fills[item.priority]
        priority_cell.font = Font(
            name=_FONT,
            size=10,
            bold=True,
            color="2B2100" if item.priority == "medium" else "FFFFFF",
        )
        for name in ("due", "done_on"):
            sheet.cell(row=row, column=_column(name)).number_format = "yyyy-mm-dd"
        sheet.cell(row=row, column=_column("cvss")).number_format = "0.0"
    last = max(len(items) + 1, 500)
    if not items:
        sheet.cell(row=2, column=1, value=view.summary.no_findings).font = _BODY
    status_list = DataValidation(
        type="list",
        formula1='"' + ",".join(t(f"report.x.status.{s}") for s in STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        error=t("report.x.status_error"),
    )
    letter = get_column_letter(_column("status"))
    status_list.add(f"{letter}2:{letter}{last}")
    sheet.add_data_validation(status_list)
    issued = view.input.generated_at.date()
    start = view.engagement.survey_start or issued
    sheet.add_data_validation(_date_rule(view, _column("due"), last, issued, "report.x.due_error"))
    sheet.add_data_validation(
        _date_rule(view, _column("done_on"), last, start, "report.x.done_error")
    )
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(_COLUMNS))}{max(len(items) + 1, 2)}"
    sheet.sheet_view.zoomScale = 90
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    if sheet.sheet_properties.pageSetUpPr is not None:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _devices_sheet(view: ReportView, sheet: Worksheet) -> None:
    t = view.t
    _header(
        sheet,
        [
            (t("report.col.key"), 9),
            (t("report.col.name"), 24),
            (t("report.col.product"), 24),
            (t("report.col.firmware"), 18),
            (t("report.col.source"), 14),
            (t("report.col.result"), 16),
            (t("report.col.cves"), 30),
            ("KEV", 6),
            (t("report.col.fixed"), 16),
            (t("report.col.point"), 12),
            (t("report.col.manager"), 24),
        ],
    )
    rows = []
    for device in view.points.devices:
        row = device.firmware
        rows.append(
            (
                device.key,
                device.name,
                f"{device.vendor} {device.model}",
                device.version.text,
                device.version.source,
                row.status_label if row else t("report.not_done"),
                ", ".join(row.cves) if row else None,
                "KEV" if row and row.kev else None,
                row.fixed if row and row.fixed != "-" else None,
                device.points,
                device.manager,
            )
        )
    _rows(sheet, rows)


def _terminals_sheet(view: ReportView, sheet: Worksheet) -> None:
    t = view.t
    _header(
        sheet,
        [
            (t("report.col.terminal"), 24),
            ("OS", 30),
            (t("report.col.check"), 22),
            (t("report.col.result"), 10),
            (t("report.x.col.detail"), 50),
        ],
    )
    rows: list[tuple[str, str | None, str | None, str | None, str | None]] = []
    for table in view.terminals.tables:
        for check in table.rows:
            for audited, cell in zip(table.terminals, check.cells, strict=True):
                rows.append(
                    (
                        f"{audited.terminal.key} {audited.terminal.hostname}",
                        audited.os,
                        check.label,
                        f"{cell.mark} {t('terminals.status.' + cell.status)}",
                        cell.summary,
                    )
                )
    rows.sort(key=lambda r: r[0])
    if view.terminals.audited is None:
        rows = [(t("report.terminals.not_done"), None, None, None, None)]
    _rows(sheet, rows)


def _checklist_sheet(view: ReportView, sheet: Worksheet) -> None:
    t = view.t
    _header(
        sheet,
        [
            (t("report.col.ref"), 7),
            (t("report.col.item"), 60),
            (t("report.col.result"), 12),
            (t("report.col.basis"), 50),
            (t("report.x.col.related"), 24),
        ],
    )
    _rows(
        sheet,
        [
            (c.ref, c.text, c.status_label, c.reason, ", ".join(c.findings) or None)
            for c in view.checklist_table.lines
        ],
    )


def write_xlsx(view: ReportView, path: Path) -> None:
    t = view.t
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    _findings_sheet(view, sheet)
    _devices_sheet(view, workbook.create_sheet(t("report.x.devices_sheet")))
    _terminals_sheet(view, workbook.create_sheet(t("report.x.terminals_sheet")))
    _checklist_sheet(view, workbook.create_sheet(t("report.x.checklist_sheet")))
    help_sheet = workbook.create_sheet(t("report.x.help_sheet"))
    help_sheet.column_dimensions["A"].width = 100
    lines = [
        f"{t('report.title')} — {view.cover.institution}",
        view.cover.title,
        t("report.x.help"),
        t("report.x.help_due"),
        t("report.cover.note"),
    ]
    for row, text in enumerate(lines, start=1):
        cell = help_sheet.cell(row=row, column=1, value=text)
        cell.font = Font(name=_FONT, size=11, bold=row == 1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(str(path))
