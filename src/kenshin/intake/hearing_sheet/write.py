"""Writing the hearing-sheet workbook: pre-filled, with drop-downs, validation and styling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from kenshin import domain as d
from kenshin.filetypes import (
    cells_as_text,
)
from kenshin.i18n import translate
from kenshin.intake.engagement_file import (
    IntakeError,
)
from kenshin.intake.hearing_sheet.layout import (
    VOCABULARIES,
    Column,
    Layout,
    SheetLayout,
    choice_labels,
    layout,
    yes_no_words,
)

_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_EXAMPLE_FILL = PatternFill("solid", fgColor="EDEDED")
_KNOWN_FILL = PatternFill("solid", fgColor="FFF9E5")
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _label(vocabulary: str, value: str) -> str:
    _, prefix = VOCABULARIES[vocabulary]
    return translate(f"{prefix}.{value}", "ja")


def known_rows(engagement: d.Engagement, section: str) -> list[dict[str, str]]:
    yes, no = yes_no_words()
    rows: list[dict[str, str]] = []
    if section == "connection_points":
        for p in engagement.connection_points:
            assignments = {a.assignment.value for a in p.addresses}
            rows.append(
                {
                    "key": p.key,
                    "name": p.name,
                    "kind": _label("kind", p.kind.value),
                    "in_ehr_scope": yes if p.in_ehr_scope else no,
                    "addresses": "、".join(str(a.address) for a in p.addresses),
                    "assignment": _label("assignment", assignments.pop())
                    if len(assignments) == 1
                    else "",
                    "internet_reachable": yes if p.internet_reachable else no,
                    "carrier": p.carrier,
                    "holder_kind": _label("holder", p.contract_holder.kind.value),
                    "holder_name": engagement.holder_name(p.contract_holder),
                    "scope_reason": p.scope_reason,
                    "description": p.description,
                }
            )
    elif section == "devices":
        for dev in engagement.devices:
            rows.append(
                {
                    "key": dev.key,
                    "name": dev.name,
                    "role": _label("role", dev.role.value),
                    "vendor": dev.vendor,
                    "model": dev.model,
                    "firmware_version": dev.firmware_version,
                    "connection_points": "、".join(dev.connection_points),
                    "managed_kind": _label("holder", dev.managed_by.kind.value),
                    "managed_name": engagement.holder_name(dev.managed_by),
                    "notes": dev.notes,
                }
            )
    elif section == "terminals":
        for term in engagement.terminals:
            rows.append(
                {
                    "key": term.key,
                    "hostname": term.hostname,
                    "role": _label("terminal", term.role.value),
                    "system": term.system,
                    "location": term.location,
                }
            )
    elif section == "vendors":
        for vendor in engagement.vendors:
            contact = vendor.contacts[0] if vendor.contacts else d.Contact("")
            rows.append(
                {
                    "key": vendor.key,
                    "company": vendor.company,
                    "manages": vendor.manages,
                    "contact_name": contact.name,
                    "contact_email": contact.email,
                    "contact_phone": contact.phone,
                }
            )
    return rows


def institution_values(engagement: d.Engagement) -> dict[str, str]:
    inst = engagement.institution
    values = {
        "name": inst.name,
        "name_en": inst.name_en,
        "address": inst.address,
        "prefecture": inst.prefecture,
        "bed_count": str(inst.bed_count) if inst.bed_count is not None else "",
    }
    for index, contact in enumerate(inst.contacts[:2], start=1):
        values[f"contact{index}.name"] = contact.name
        values[f"contact{index}.role"] = contact.role
        values[f"contact{index}.email"] = contact.email
        values[f"contact{index}.phone"] = contact.phone
    return values


def _validation(column: Column, shape: Layout) -> DataValidation | None:
    if column.type == "choice":
        labels = [label for _, label in choice_labels(column.vocabulary)]
    elif column.type == "yesno":
        labels = yes_no_words()
    elif column.type == "integer":
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
        dv.error = "0以上の整数をご記入ください。"
        dv.errorTitle = "入力エラー"
        dv.showErrorMessage = True
        return dv
    elif column.type == "addresses":
        dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="400")
        dv.prompt = "例: 203.0.113.10（複数は「、」で区切る。不明なら空欄）"
        dv.promptTitle = column.title
        dv.showInputMessage = True
        return dv
    else:
        return None
    dv = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
    dv.error = "一覧から選んでください: " + "、".join(labels)
    dv.errorTitle = "入力エラー"
    dv.prompt = "一覧から選んでください。"
    dv.promptTitle = column.title
    dv.showErrorMessage = True
    dv.showInputMessage = True
    del shape
    return dv


def _sheet_heading(ws: Worksheet, title: str, help_text: str) -> None:
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = help_text
    ws["A2"].alignment = Alignment(wrap_text=False)
    ws["A3"] = "記入方法は「記入方法」シートをご覧ください。灰色の行は記入例です。"
    ws["A3"].font = Font(size=9, color="595959")


def _header(cell: Any, text: str) -> None:
    cell.value = text
    cell.font = Font(bold=True, color="FFFFFF")
    cell.fill = _HEADER_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    cell.border = _BORDER


def _write_table(ws: Worksheet, sheet: SheetLayout, rows: list[dict[str, str]]) -> None:
    shape = layout()
    header, example, first = shape.header_row, shape.example_row, shape.first_data_row
    last = first + max(shape.input_rows, len(rows) + 50) - 1
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        title = column.title + ("（必須）" if column.required else "")
        _header(ws.cell(header, index), title)
        sample: Any = ws.cell(
            example, index, shape.example_marker if index == 1 else column.example
        )
        sample.fill = _EXAMPLE_FILL
        sample.font = Font(italic=True, color="7F7F7F")
        sample.border = _BORDER
        validation = _validation(column, shape)
        if validation is not None:
            ws.add_data_validation(validation)
            validation.add(f"{letter}{first}:{letter}{last}")
    ws.row_dimensions[header].height = 36
    for r_index, row in enumerate(rows):
        for c_index, column in enumerate(sheet.columns, start=1):
            known: Any = ws.cell(first + r_index, c_index, row.get(column.field) or None)
            known.fill = _KNOWN_FILL
    for row_number in range(first, last + 1):
        for c_index in range(1, len(sheet.columns) + 1):
            blank: Any = ws.cell(row_number, c_index)
            blank.protection = Protection(locked=False)
            blank.border = _BORDER
            blank.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = f"B{first}"


def _write_form(ws: Worksheet, sheet: SheetLayout, values: dict[str, str]) -> None:
    shape = layout()
    header, first = shape.header_row, shape.first_data_row
    for index, title in enumerate(("項目", "ご記入欄", "記入例"), start=1):
        _header(ws.cell(header, index), title)
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 30
    for offset, column in enumerate(sheet.columns):
        row = first + offset
        heading: Any = ws.cell(row, 1, column.title + ("（必須）" if column.required else ""))
        heading.font = Font(bold=True)
        heading.border = _BORDER
        value = ws.cell(row, 2, values.get(column.field) or None)
        value.protection = Protection(locked=False)
        value.border = _BORDER
        if values.get(column.field):
            value.fill = _KNOWN_FILL
        example = ws.cell(row, 3, column.example or None)
        example.font = Font(italic=True, color="7F7F7F")
        example.fill = _EXAMPLE_FILL
        example.border = _BORDER
        validation = _validation(column, shape)
        if validation is not None:
            ws.add_data_validation(validation)
            validation.add(f"B{row}")


def _print_setup(ws: Worksheet) -> None:
    """Landscape, one page wide: the way hospitals print and fax these sheets."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _protect(ws: Worksheet) -> None:
    """Lock headers and examples; input cells are unlocked. No password: only a guard."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False
    ws.protection.insertRows = False
    ws.protection.sort = False
    ws.protection.autoFilter = False


def build_template(engagement: d.Engagement) -> Workbook:
    """The hearing-sheet workbook for ``engagement``, pre-filled with what is known."""
    shape = layout()
    workbook = Workbook()
    guide = workbook.active
    assert guide is not None
    guide.title = "記入方法"
    guide["A1"] = shape.instructions_title
    guide["A1"].font = Font(bold=True, size=16)
    guide["A2"] = (
        f"{engagement.institution.name} 様　（調査案件 {engagement.code}: {engagement.title}）"
    )
    guide.column_dimensions["A"].width = 120
    for index, line in enumerate(shape.instructions, start=4):
        cell = guide.cell(index, 1, f"・{line}")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        # About 60 full-width characters fit on a line of a 120-wide column.
        guide.row_dimensions[index].height = 16 * (1 + len(line) // 60)
    row = 5 + len(shape.instructions)
    guide.cell(row, 1, "シート一覧").font = Font(bold=True)
    for offset, sheet in enumerate(shape.sheets, start=1):
        guide.cell(row + offset, 1, f"「{sheet.name}」: {sheet.help}").alignment = Alignment(
            wrap_text=True
        )
        guide.row_dimensions[row + offset].height = 16 * (1 + len(sheet.help) // 60)
    guide.cell(
        row + len(shape.sheets) + 2,
        1,
        "黄色のセルは、調査担当者が既に把握している内容です。誤りがあれば上書きしてください。",
    )
    _protect(guide)
    for sheet in shape.sheets:
        ws = workbook.create_sheet(sheet.name)
        _sheet_heading(ws, f"{sheet.name}（{engagement.institution.name}）", sheet.help)
        if sheet.layout == "form":
            _write_form(ws, sheet, institution_values(engagement))
        else:
            _write_table(ws, sheet, known_rows(engagement, sheet.section))
        _protect(ws)
        _print_setup(ws)
    _print_setup(guide)
    workbook.properties.title = f"ヒアリングシート {engagement.code}"
    workbook.properties.creator = "kenshin"
    cells_as_text(workbook)
    return workbook


def write_template(engagement: d.Engagement, path: Path) -> Path:
    """Write the hearing-sheet workbook to ``path`` (xlsx)."""
    workbook = build_template(engagement)
    try:
        workbook.save(path)
    except OSError as exc:
        raise IntakeError(
            "hearing.cannot_write", path=str(path), reason=exc.strerror or str(exc)
        ) from None
    return path
