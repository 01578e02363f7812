"""findings.xlsx: the list the hospital works through with its vendors.

One row per finding in priority order; the hospital fills in the due date, the status
(a drop-down) and notes. Frozen header, filters on every column, wrapped text, and a
second sheet saying how to use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kenshin.report.view import PRIORITY_COLOURS, ReportView

STATUSES = ("open", "in_progress", "done", "accepted", "not_applicable")
_COLUMNS: tuple[tuple[str, float], ...] = (
    ("id", 8),
    ("priority", 8),
    ("area", 13),
    ("target", 24),
    ("what", 36),
    ("why", 44),
    ("fix", 44),
    ("cves", 18),
    ("owner", 22),
    ("due", 12),
    ("status", 12),
    ("note", 28),
)
_FONT = "Noto Sans CJK JP"


def write_xlsx(view: ReportView, path: Path) -> None:
    t = view.t
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = t("report.x.sheet")
    thin = Side(style="thin", color="D5DAE3")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="2D4A7A")
    fillable = PatternFill("solid", fgColor="FFF8E6")
    for column, (name, width) in enumerate(_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column, value=t(f"report.x.col.{name}"))
        cell.font = Font(name=_FONT, bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cell.border = border
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[1].height = 24
    status_labels = [t(f"report.x.status.{s}") for s in STATUSES]
    items: list[dict[str, Any]] = view.data["findings"]
    priority_fills = {
        p.value: PatternFill("solid", fgColor=colour.lstrip("#"))
        for p, colour in PRIORITY_COLOURS.items()
    }
    body_font = Font(name=_FONT, size=10)
    wrap = Alignment(vertical="top", wrap_text=True)
    for row, item in enumerate(items, start=2):
        status = (
            t("report.x.status.done")
            if item["status"] == "fixed"
            else t("report.x.status.accepted")
            if item["status"] == "accepted"
            else t("report.x.status.not_applicable")
            if item["status"] == "false_positive"
            else t("report.x.status.open")
        )
        values = (
            item["id"],
            item["priority_label"],
            item["area_label"],
            item["target"],
            item["title"],
            item["description"],
            item["remediation"],
            ", ".join(item["cves"]),
            item["owner"],
            None,
            status,
            item["status_reason"] or None,
        )
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            cell.font = body_font
            cell.alignment = wrap
            cell.border = border
            if column >= 10:
                cell.fill = fillable
        priority_cell = sheet.cell(row=row, column=2)
        priority_cell.fill = priority_fills[item["priority"]]
        priority_cell.font = Font(
            name=_FONT,
            size=10,
            bold=True,
            color="2B2100" if item["priority"] == "medium" else "FFFFFF",
        )
        sheet.cell(row=row, column=10).number_format = "yyyy-mm-dd"
    last = max(len(items) + 1, 2)
    if not items:
        sheet.cell(row=2, column=1, value=t("report.x.none")).font = body_font
    status_list = DataValidation(
        type="list", formula1='"' + ",".join(status_labels) + '"', allow_blank=True
    )
    status_list.error = t("report.x.help")
    status_list.add(f"K2:K{max(last, 500)}")
    due = DataValidation(
        type="date", operator="greaterThan", formula1="DATE(2000,1,1)", allow_blank=True
    )
    due.add(f"J2:J{max(last, 500)}")
    sheet.add_data_validation(status_list)
    sheet.add_data_validation(due)
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(_COLUMNS))}{last}"
    sheet.sheet_view.zoomScale = 90
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    if sheet.sheet_properties.pageSetUpPr is not None:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True

    help_sheet = workbook.create_sheet(t("report.x.help_sheet"))
    help_sheet.column_dimensions["A"].width = 100
    lines = [
        f"{t('report.title')} — {view.data['institution']}",
        view.data["title"],
        t("report.x.help"),
        t("report.cover.note"),
    ]
    for row, text in enumerate(lines, start=1):
        cell = help_sheet.cell(row=row, column=1, value=text)
        cell.font = Font(name=_FONT, size=11, bold=row == 1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(str(path))
