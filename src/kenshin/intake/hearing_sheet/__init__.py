"""The hearing sheet (ヒアリングシート): an Excel workbook out, the hospital's answers back in.

``write_template`` writes a Japanese workbook pre-filled with what the engagement knows:
instructions, drop-down lists, input validation, an example row and protected headers.
``read_answers`` reads a filled workbook into an updated ``Engagement``: every value is
normalised the way hospitals actually type (full-width digits and dots, 「不明」, merged
cells, blank rows, extra rows, a workbook saved by LibreOffice), every problem is
reported as ``シート!セル: 日本語の文``, and the result goes through the one validation gate
(``validate_document``). Rows are matched to what is stored by their key (``CP-01``) or,
when the key is blank, by name, so importing the same sheet again updates and never
duplicates. The sheet adds and changes; it never deletes what it does not mention.

The layout (sheets, columns, choices, examples, help) is data: ``data/hearing/hearing-sheet.yaml``.

By job: ``layout`` (the layout file, vocabularies, normalising, cell references),
``write`` (the workbook out), ``read`` (the workbook in), ``merge`` (answers into the
engagement, shared by the workbook and the form) and ``web_form`` (the online form).
"""

from kenshin.intake.hearing_sheet.layout import (
    MAX_ROWS,
    MAX_WORKBOOK_BYTES,
    NFKC_FIELDS,
    TABLE_SECTIONS,
    CellRef,
    Column,
    FieldRef,
    Layout,
    SheetLayout,
    choices,
    is_unknown,
    layout,
    named_choice,
    normalise_text,
    parse_address,
    problem_lines,
)
from kenshin.intake.hearing_sheet.merge import HearingImport, SkippedRow
from kenshin.intake.hearing_sheet.read import read_answers
from kenshin.intake.hearing_sheet.web_form import apply_form, form_values
from kenshin.intake.hearing_sheet.write import build_template, write_template

__all__ = [
    "MAX_ROWS",
    "MAX_WORKBOOK_BYTES",
    "NFKC_FIELDS",
    "TABLE_SECTIONS",
    "CellRef",
    "Column",
    "FieldRef",
    "HearingImport",
    "Layout",
    "SheetLayout",
    "SkippedRow",
    "apply_form",
    "build_template",
    "choices",
    "form_values",
    "is_unknown",
    "layout",
    "named_choice",
    "normalise_text",
    "parse_address",
    "problem_lines",
    "read_answers",
    "write_template",
]
