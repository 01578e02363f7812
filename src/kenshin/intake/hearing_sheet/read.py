"""Reading a filled hearing-sheet workbook: cells found by their titles, values normalised."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from kenshin import domain as d
from kenshin.filetypes import (
    FileKind,
    check_workbook_archive,
    check_workbook_cells,
    sniff,
)
from kenshin.intake.engagement_file import (
    IntakeError,
    Problem,
    cannot_read,
)
from kenshin.intake.hearing_sheet.layout import (
    MAX_ROWS,
    MAX_WORKBOOK_BYTES,
    NFKC_FIELDS,
    TABLE_SECTIONS,
    CellRef,
    Ref,
    SheetLayout,
    fold_text,
    layout,
    normalise_text,
    problem_at,
)
from kenshin.intake.hearing_sheet.merge import AnsweredRow, HearingImport, merge_answers


def _merged_values(ws: Worksheet) -> dict[tuple[int, int], Any]:
    """Every cell of a merged range carries the value of its top-left cell."""
    values: dict[tuple[int, int], Any] = {}
    for merged in ws.merged_cells.ranges:
        top_left = ws.cell(merged.min_row, merged.min_col).value
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                values[(row, col)] = top_left
    return values


def _open_workbook(path: Path) -> Any:
    """The workbook at ``path``; anything that is not an .xlsx workbook by its content
    (a text file, a PDF, an old .xls) is one clear error naming the file."""
    try:
        size = path.stat().st_size
        if size > MAX_WORKBOOK_BYTES:
            raise IntakeError("intake.too_large_file", path=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise cannot_read(path, exc) from None
    if sniff(data) is not FileKind.WORKBOOK:
        raise IntakeError("hearing.not_workbook", path=str(path))
    check_workbook_archive(data, path.name)
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise IntakeError("hearing.not_workbook", path=str(path)) from None
    check_workbook_cells(workbook, path.name)
    return workbook


def _header_columns(ws: Worksheet, sheet: SheetLayout, problems: list[Problem]) -> dict[str, int]:
    """Find each column by its title in the header row (columns may have been moved)."""
    shape = layout()
    found: dict[str, int] = {}
    titles: dict[str, int] = {}
    for cell in ws[shape.header_row]:
        text = normalise_text(cell.value)
        if text and cell.column is not None:
            titles[fold_text(text).replace("(必須)", "")] = int(cell.column)
    for index, column in enumerate(sheet.columns, start=1):
        at = titles.get(fold_text(column.title))
        if at is None:
            problems.append(
                problem_at(
                    CellRef(sheet.name, shape.header_row, index),
                    "hearing.missing_column",
                    column=column.title,
                )
            )
            continue
        found[column.field] = at
    return found


def _table_rows(ws: Worksheet, sheet: SheetLayout, problems: list[Problem]) -> list[AnsweredRow]:
    shape = layout()
    columns = _header_columns(ws, sheet, problems)
    if len(columns) != len(sheet.columns):
        return []
    merged = _merged_values(ws)
    rows: list[AnsweredRow] = []
    last = min(ws.max_row, shape.first_data_row + MAX_ROWS)
    for number in range(shape.first_data_row, last + 1):
        values: dict[str, str] = {}
        for name, col in columns.items():
            raw = merged.get((number, col), ws.cell(number, col).value)
            values[name] = normalise_text(raw, nfkc=name in NFKC_FIELDS)
        if not any(values.values()):
            continue
        first_value = normalise_text(ws.cell(number, 1).value)
        if first_value == shape.example_marker:
            continue
        rows.append(AnsweredRow(sheet, number, values, columns))
    if ws.max_row > last:
        problems.append(
            problem_at(CellRef(sheet.name, last + 1), "hearing.too_many_rows", limit=MAX_ROWS)
        )
    return rows


def _form_values(
    ws: Worksheet, sheet: SheetLayout, problems: list[Problem]
) -> tuple[dict[str, str], dict[str, Ref]]:
    """The form sheet's answers, found by the titles in column A."""
    merged = _merged_values(ws)
    by_title: dict[str, int] = {}
    for number in range(1, min(ws.max_row, 200) + 1):
        text = normalise_text(merged.get((number, 1), ws.cell(number, 1).value))
        if text:
            by_title.setdefault(fold_text(text).replace("(必須)", ""), number)
    values: dict[str, str] = {}
    refs: dict[str, Ref] = {}
    for column in sheet.columns:
        found_row = by_title.get(fold_text(column.title))
        if found_row is None:
            problems.append(
                problem_at(
                    CellRef(sheet.name, layout().first_data_row, 1),
                    "hearing.missing_field",
                    column=column.title,
                )
            )
            continue
        refs[column.field] = CellRef(sheet.name, found_row, 2)
        values[column.field] = normalise_text(
            merged.get((found_row, 2), ws.cell(found_row, 2).value),
            nfkc=column.field in NFKC_FIELDS,
        )
    return values, refs


def read_answers(engagement: d.Engagement, path: Path, *, partial: bool = False) -> HearingImport:
    """The engagement updated with a filled hearing sheet, or ``IntakeError`` naming cells.

    Without ``partial`` nothing is returned unless every sheet is valid. With it, the
    valid rows are taken and the others are listed in ``HearingImport.skipped``.
    """
    shape = layout()
    workbook = _open_workbook(path)
    problems: list[Problem] = []
    names = set(workbook.sheetnames)
    for sheet in shape.sheets:
        if sheet.name not in names:
            problems.append(problem_at(sheet.name, "hearing.missing_sheet", sheet=sheet.name))
    if problems:
        raise IntakeError("hearing.invalid_sheet", problems)

    form = shape.sheet("institution")
    values, refs = _form_values(workbook[form.name], form, problems)
    table_rows: dict[str, list[AnsweredRow]] = {}
    for section in TABLE_SECTIONS:
        sheet = shape.sheet(section)
        table_rows[section] = _table_rows(workbook[sheet.name], sheet, problems)
    if problems:  # the workbook's shape is wrong (missing columns): nothing can be read
        raise IntakeError("hearing.invalid_sheet", problems)
    return merge_answers(engagement, (values, refs), form.name, table_rows, partial)
