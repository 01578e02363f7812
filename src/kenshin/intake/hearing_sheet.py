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
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path
from typing import Any, ClassVar

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from kenshin import domain as d
from kenshin.filetypes import (
    FileKind,
    cells_as_text,
    check_workbook_archive,
    check_workbook_cells,
    sniff,
)
from kenshin.i18n import translate
from kenshin.intake.engagement_file import (
    IntakeError,
    Problem,
    cannot_read,
    to_document,
    validate_document,
)

MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
MAX_ROWS = 5000

# Vocabulary name in the layout file → (enum, label key prefix).
_VOCABULARIES: dict[str, tuple[type[Any], str]] = {
    "kind": (d.ConnectionKind, "label.kind"),
    "assignment": (d.AddressAssignment, "label.assignment"),
    "holder": (d.HolderKind, "label.holder"),
    "role": (d.DeviceRole, "label.role"),
    "terminal": (d.TerminalRole, "label.terminal"),
}

_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_EXAMPLE_FILL = PatternFill("solid", fgColor="EDEDED")
_KNOWN_FILL = PatternFill("solid", fgColor="FFF9E5")
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SPLIT_RE = re.compile(r"[,、，;；\s]+")


# -- the layout ------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    title: str
    type: str = "text"
    vocabulary: str = ""
    required: bool = False
    width: int = 16
    example: str = ""
    title_en: str = ""


@dataclass(frozen=True)
class SheetLayout:
    name: str
    section: str
    layout: str
    help: str
    columns: tuple[Column, ...]
    key_prefix: str = ""
    match_by: str = ""

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.field == name:
                return column
        raise KeyError(name)


@dataclass(frozen=True)
class Layout:
    header_row: int
    example_row: int
    first_data_row: int
    input_rows: int
    example_marker: str
    unknown_words: frozenset[str]
    yes_words: frozenset[str]
    no_words: frozenset[str]
    instructions_title: str
    instructions: tuple[str, ...]
    sheets: tuple[SheetLayout, ...]

    def sheet(self, section: str) -> SheetLayout:
        for sheet in self.sheets:
            if sheet.section == section:
                return sheet
        raise KeyError(section)


@cache
def layout() -> Layout:
    """The workbook layout from ``data/hearing/hearing-sheet.yaml``."""
    text = (resources.files("kenshin") / "data" / "hearing" / "hearing-sheet.yaml").read_text(
        encoding="utf-8"
    )
    raw = yaml.safe_load(text)
    sheets = []
    for sheet in raw["sheets"]:
        items = sheet.get("columns") or sheet.get("fields")
        columns = tuple(
            Column(
                field=str(c["field"]),
                title=str(c["title"]),
                type=str(c.get("type", "text")),
                vocabulary=str(c.get("vocabulary", "")),
                required=bool(c.get("required", False)),
                width=int(c.get("width", 16)),
                example=str(c.get("example", "")),
                title_en=str(c.get("title_en", c["title"])),
            )
            for c in items
        )
        sheets.append(
            SheetLayout(
                name=str(sheet["name"]),
                section=str(sheet["section"]),
                layout=str(sheet["layout"]),
                help=str(sheet.get("help", "")),
                columns=columns,
                key_prefix=str(sheet.get("key_prefix", "")),
                match_by=str(sheet.get("match_by", "")),
            )
        )

    def words(name: str) -> frozenset[str]:
        return frozenset(_fold(str(w)) for w in raw[name])

    return Layout(
        header_row=int(raw["header_row"]),
        example_row=int(raw["example_row"]),
        first_data_row=int(raw["first_data_row"]),
        input_rows=int(raw["input_rows"]),
        example_marker=str(raw["example_marker"]),
        unknown_words=words("unknown_words"),
        yes_words=words("yes_words"),
        no_words=words("no_words"),
        instructions_title=str(raw["instructions"]["title"]),
        instructions=tuple(str(line) for line in raw["instructions"]["lines"]),
        sheets=tuple(sheets),
    )


def _choices(vocabulary: str) -> list[tuple[str, str]]:
    """(value, Japanese label) pairs of a vocabulary, in enum order."""
    enum, prefix = _VOCABULARIES[vocabulary]
    return [(m.value, translate(f"{prefix}.{m.value}", "ja")) for m in enum]


def _yes_no() -> list[str]:
    return [translate("label.yes", "ja"), translate("label.no", "ja")]


# -- normalising what people type -----------------------------------------------------------


def _fold(text: str) -> str:
    """NFKC (full-width → half-width), trimmed, lower-case: for comparing words."""
    return unicodedata.normalize("NFKC", text).strip().lower()


# Full-width digits and Latin letters are ASCII in every field (３階 → 3階).
_FULLWIDTH_ALNUM = {
    code: code - 0xFEE0
    for code in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
}

# Fields whose full-width forms mean nothing (digits, dots, Latin letters): NFKC-folded.
# Free Japanese text keeps its full-width punctuation （…） as written.
NFKC_FIELDS = frozenset(
    {
        "key",
        "addresses",
        "firmware_version",
        "connection_points",
        "hostname",
        "bed_count",
        "vendor",
        "model",
        "contact_email",
        "contact_phone",
        "contact1.email",
        "contact1.phone",
        "contact2.email",
        "contact2.phone",
    }
)


def normalise_text(value: object, *, nfkc: bool = False) -> str:
    """A cell's value as clean text: no stray spaces, numbers without '.0'.

    With ``nfkc`` full-width digits, dots and letters become ASCII (１９８．５１ → 198.51).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return translate("label.yes" if value else "label.no", "ja")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)) if nfkc else str(value)
    text = text.translate(_FULLWIDTH_ALNUM)
    text = text.replace("\u3000", " ").replace("\r\n", "\n").replace("\r", "\n")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip()


def is_unknown(text: str) -> bool:
    """Blank or a word meaning "not known" (不明, 未確認, -, ...)."""
    return not text or _fold(text) in layout().unknown_words


def parse_address(text: str) -> IPv4Address | IPv6Address | None:
    """One IP address as people write it: full-width digits, 。 or ． for dots, spaces."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    cleaned = cleaned.replace("。", ".").replace("｡", ".").replace(" ", "")
    cleaned = re.sub(r"/32$", "", cleaned)
    try:
        return ip_address(cleaned)
    except ValueError:
        return None


# -- problems --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellRef:
    sheet: str
    row: int
    column: int | None = None

    def __str__(self) -> str:
        if self.column is None:
            return f"{self.sheet}!{self.row}行目"
        return f"{self.sheet}!{get_column_letter(self.column)}{self.row}"


@dataclass(frozen=True)
class FieldRef:
    """Where a value came from on the online form: ``vendors.0.company``, ``institution.name``."""

    section: str
    index: int | None
    field: str | None = None

    def __str__(self) -> str:
        parts = [self.section, *([] if self.index is None else [str(self.index)])]
        return ".".join([*parts, *([self.field] if self.field else [])])


Ref = CellRef | FieldRef


def _field_ref(section: str, field: str) -> Ref:
    return FieldRef(section, None, field)


def _problem(ref: Ref | str, key: str, **params: object) -> Problem:
    return Problem((str(ref),), None, key, tuple((k, str(v)) for k, v in params.items()))


# -- writing the template --------------------------------------------------------------------


def _label(vocabulary: str, value: str) -> str:
    _, prefix = _VOCABULARIES[vocabulary]
    return translate(f"{prefix}.{value}", "ja")


def _holder_name(engagement: d.Engagement, holder: d.ContractHolder) -> str:
    if holder.vendor_key:
        try:
            return engagement.vendor(holder.vendor_key).company
        except KeyError:
            return holder.vendor_key
    return holder.name


def _known_rows(engagement: d.Engagement, section: str) -> list[dict[str, str]]:
    yes, no = _yes_no()
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
                    "holder_name": _holder_name(engagement, p.contract_holder),
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
                    "managed_name": _holder_name(engagement, dev.managed_by),
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


def _institution_values(engagement: d.Engagement) -> dict[str, str]:
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
        labels = [label for _, label in _choices(column.vocabulary)]
    elif column.type == "yesno":
        labels = _yes_no()
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
            _write_form(ws, sheet, _institution_values(engagement))
        else:
            _write_table(ws, sheet, _known_rows(engagement, sheet.section))
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


# -- reading the answers ---------------------------------------------------------------------


@dataclass
class _Row:
    """One answered table row: its values by field and where each came from."""

    sheet: SheetLayout
    number: int
    values: dict[str, str]
    columns: dict[str, int]
    problems: list[Problem] = field(default_factory=list)

    def ref(self, name: str | None = None) -> Ref:
        if name is None or name not in self.columns:
            return CellRef(self.sheet.name, self.number)
        return CellRef(self.sheet.name, self.number, self.columns[name])

    def problem(self, name: str | None, key: str, **params: object) -> None:
        self.problems.append(_problem(self.ref(name), key, **params))


@dataclass
class _FormRow(_Row):
    """One row of the online form: ``number`` is its position in the form's section."""

    def ref(self, name: str | None = None) -> Ref:
        return FieldRef(self.sheet.section, self.number, name if name in self.columns else None)


@dataclass(frozen=True)
class SkippedRow:
    """A row left out by ``--partial``, and why."""

    ref: str
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class HearingImport:
    """What a hearing-sheet import produced."""

    engagement: d.Engagement
    added: dict[str, int]
    updated: dict[str, int]
    skipped: tuple[SkippedRow, ...] = ()

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(p for s in self.skipped for p in s.problems)


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
            titles[_fold(text).replace("(必須)", "")] = int(cell.column)
    for index, column in enumerate(sheet.columns, start=1):
        at = titles.get(_fold(column.title))
        if at is None:
            problems.append(
                _problem(
                    CellRef(sheet.name, shape.header_row, index),
                    "hearing.missing_column",
                    column=column.title,
                )
            )
            continue
        found[column.field] = at
    return found


def _table_rows(ws: Worksheet, sheet: SheetLayout, problems: list[Problem]) -> list[_Row]:
    shape = layout()
    columns = _header_columns(ws, sheet, problems)
    if len(columns) != len(sheet.columns):
        return []
    merged = _merged_values(ws)
    rows: list[_Row] = []
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
        rows.append(_Row(sheet, number, values, columns))
    if ws.max_row > last:
        problems.append(
            _problem(CellRef(sheet.name, last + 1), "hearing.too_many_rows", limit=MAX_ROWS)
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
            by_title.setdefault(_fold(text).replace("(必須)", ""), number)
    values: dict[str, str] = {}
    refs: dict[str, Ref] = {}
    for column in sheet.columns:
        found_row = by_title.get(_fold(column.title))
        if found_row is None:
            problems.append(
                _problem(
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


def _choice(row: _Row, name: str, vocabulary: str) -> str | None:
    """The enum value a cell names (Japanese label, English value or label), or None."""
    text = row.values.get(name, "")
    if is_unknown(text):
        return None
    folded = _fold(text)
    for value, label in _choices(vocabulary):
        english = translate(f"{_VOCABULARIES[vocabulary][1]}.{value}", "en")
        if folded in (_fold(label), _fold(value), _fold(english)):
            return value
    allowed = "、".join(label for _, label in _choices(vocabulary))
    row.problem(name, "hearing.bad_choice", value=text, allowed=allowed)
    return None


def _yes_no_value(row: _Row, name: str) -> bool | None:
    text = row.values.get(name, "")
    if is_unknown(text) and _fold(text) not in layout().no_words:
        return None
    folded = _fold(text)
    if folded in layout().yes_words:
        return True
    if folded in layout().no_words:
        return False
    row.problem(name, "hearing.bad_choice", value=text, allowed="、".join(_yes_no()))
    return None


def _split(text: str) -> list[str]:
    return [part for part in _SPLIT_RE.split(unicodedata.normalize("NFKC", text)) if part]


class _Merger:
    """Applies the answered rows to the engagement document, remembering cell origins."""

    def __init__(self, engagement: d.Engagement) -> None:
        # Two separate documents (not a deep copy: YAML timestamps lose their zone).
        self.original = to_document(engagement)
        self.document = to_document(engagement)
        # (section, index in document list) → the row it came from
        self.origins: dict[tuple[str, int], _Row] = {}
        self.added: dict[str, int] = {}
        self.updated: dict[str, int] = {}
        self.institution_refs: dict[str, Ref] = {}

    # keys ---------------------------------------------------------------------------

    def _resolve(self, row: _Row, section: str, match_by: str) -> tuple[int | None, str]:
        """(index of the existing item or None, its key) for a row."""
        items: list[dict[str, Any]] = self.document.setdefault(section, [])
        key = row.values.get("key", "")
        if key:
            key = key.upper() if key.upper().startswith(row.sheet.key_prefix.upper()) else key
            if not _KEY_RE.match(key):
                row.problem("key", "hearing.bad_key", value=key)
                return None, key
            for index, item in enumerate(items):
                if str(item.get("key", "")).upper() == key.upper():
                    return index, str(item["key"])
            return None, key
        wanted = _fold(row.values.get(match_by, ""))
        if wanted:
            for index, item in enumerate(items):
                if _fold(str(item.get(match_by, ""))) == wanted:
                    return index, str(item["key"])
        return None, self._next_key(section, row.sheet.key_prefix)

    def _next_key(self, section: str, prefix: str) -> str:
        used = {str(item.get("key", "")) for item in self.document.get(section, [])}
        number = 1
        while f"{prefix}{number:02d}" in used:
            number += 1
        return f"{prefix}{number:02d}"

    def _place(self, row: _Row, section: str, index: int | None, item: dict[str, Any]) -> None:
        items: list[dict[str, Any]] = self.document.setdefault(section, [])
        if index is None:
            items.append(item)
            index = len(items) - 1
            self.added[section] = self.added.get(section, 0) + 1
        else:
            earlier = self.origins.get((section, index))
            if earlier is not None and earlier is not row:
                row.problem("key", "hearing.duplicate_row", value=item.get("key", ""))
                return
            if items[index] != item:
                self.updated[section] = self.updated.get(section, 0) + 1
            items[index] = item
        self.origins[(section, index)] = row

    def _vendor_key(self, text: str) -> str | None:
        folded = _fold(text)
        for vendor in self.document.get("vendors", []):
            if folded in (_fold(str(vendor.get("key", ""))), _fold(str(vendor.get("company", "")))):
                return str(vendor["key"])
        return None

    def _holder(
        self, row: _Row, kind_field: str, name_field: str, existing: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        kind = _choice(row, kind_field, "holder")
        name = row.values.get(name_field, "")
        name = "" if is_unknown(name) else name
        if kind is None and not name:
            return existing
        vendor_key = self._vendor_key(name) if name else None
        if kind is None:
            kind = "vendor" if vendor_key else "other"
        if kind == "vendor":
            if not name:
                row.problem(name_field, "hearing.vendor_name_needed")
                return existing
            if vendor_key is None:
                row.problem(name_field, "hearing.unknown_vendor", value=name)
                return existing
            return {"kind": "vendor", "vendor": vendor_key}
        if kind == "other":
            return {"kind": "other", "name": name} if name else {"kind": "other"}
        return {"kind": "hospital"}

    def _text(self, row: _Row, item: dict[str, Any], names: Iterable[str]) -> None:
        for name in names:
            value = row.values.get(name, "")
            if not is_unknown(value):
                item[name] = value

    def _required(self, row: _Row, item: dict[str, Any]) -> None:
        already = {p.path[0] for p in row.problems}
        for column in row.sheet.columns:
            missing = item.get(column.field) in (None, "")
            # a required choice that was given but wrong has its own problem already
            if (
                column.required
                and column.field in row.columns
                and missing
                and str(row.ref(column.field)) not in already
            ):
                row.problem(
                    column.field, "hearing.required", column=column.title, column_en=column.title_en
                )

    # sections -----------------------------------------------------------------------

    def institution(self, values: dict[str, str], refs: dict[str, Ref]) -> list[Problem]:
        problems: list[Problem] = []
        self.institution_refs = refs
        inst: dict[str, Any] = self.document["institution"]
        for name in ("name", "name_en", "address", "prefecture"):
            if not is_unknown(values.get(name, "")):
                inst[name] = values[name]
        beds = values.get("bed_count", "")
        if not is_unknown(beds):
            digits = beds.replace(",", "").removesuffix("床").strip()
            if digits.isdigit():
                inst["bed_count"] = int(digits)
            else:
                problems.append(_problem(refs["bed_count"], "hearing.not_integer", value=beds))
        contacts: list[dict[str, Any]] = list(inst.get("contacts", []))
        for index in (1, 2):
            fields = {
                part: values.get(f"contact{index}.{part}", "")
                for part in ("name", "role", "email", "phone")
            }
            fields = {k: v for k, v in fields.items() if not is_unknown(v)}
            if not fields:
                continue
            if "name" not in fields:
                problems.append(
                    _problem(
                        refs[f"contact{index}.name"],
                        "hearing.required",
                        column="氏名",
                        column_en="Name",
                    )
                )
                continue
            if fields.get("email") and "@" not in fields["email"]:
                problems.append(
                    _problem(
                        refs[f"contact{index}.email"], "hearing.bad_email", value=fields["email"]
                    )
                )
                continue
            while len(contacts) < index:
                contacts.append({"name": fields["name"]})
            contacts[index - 1] = {**contacts[index - 1], **fields}
        if contacts:
            inst["contacts"] = contacts
        if not inst.get("name"):
            problems.append(
                _problem(
                    refs.get("name", "医療機関"),
                    "hearing.required",
                    column="医療機関名",
                    column_en="Institution name",
                )
            )
        return problems

    def vendor(self, row: _Row) -> None:
        index, key = self._resolve(row, "vendors", "company")
        existing = self.document["vendors"][index] if index is not None else {}
        item: dict[str, Any] = {**existing, "key": key}
        self._text(row, item, ("company", "manages"))
        contact = {
            part: row.values.get(f"contact_{part}", "") for part in ("name", "email", "phone")
        }
        contact = {k: v for k, v in contact.items() if not is_unknown(v)}
        if contact:
            if "name" not in contact:
                row.problem(
                    "contact_name",
                    "hearing.required",
                    column="ご担当者 氏名",
                    column_en="Contact name",
                )
            else:
                contacts = list(item.get("contacts", []))
                first = contacts[0] if contacts else {}
                contacts[:1] = [{**first, **contact}]
                item["contacts"] = contacts
        self._required(row, item)
        if not row.problems:
            self._place(row, "vendors", index, item)

    def point(self, row: _Row) -> None:
        index, key = self._resolve(row, "connection_points", "name")
        existing = self.document["connection_points"][index] if index is not None else {}
        item: dict[str, Any] = {**existing, "key": key}
        self._text(row, item, ("name", "carrier", "scope_reason", "description"))
        kind = _choice(row, "kind", "kind")
        if kind:
            item["kind"] = kind
        scope = _yes_no_value(row, "in_ehr_scope")
        if scope is not None:
            item["in_ehr_scope"] = scope
        internet = _yes_no_value(row, "internet_reachable")
        assignment = _choice(row, "assignment", "assignment")
        addresses = self._addresses(row, existing.get("addresses", []), assignment)
        if addresses is not None:
            item["addresses"] = addresses
        if internet is not None:
            item["internet_reachable"] = internet
        elif "internet_reachable" not in existing:
            item["internet_reachable"] = item.get("kind") != "closed_network" and (
                bool(item.get("addresses"))
                or item.get("kind") in ("internet", "remote_maintenance", "vpn")
            )
        holder = self._holder(row, "holder_kind", "holder_name", existing.get("contract_holder"))
        if holder is not None:
            item["contract_holder"] = holder
        self._required(row, item)
        if item.get("in_ehr_scope") is False and not item.get("scope_reason"):
            row.problem("scope_reason", "hearing.out_of_scope_needs_reason")
        if item.get("kind") == "closed_network" and item.get("internet_reachable"):
            row.problem(
                "internet_reachable" if internet else "kind", "hearing.closed_network_internet"
            )
        if item.get("kind") == "closed_network" and item.get("addresses"):
            item["internet_reachable"] = False
        if not row.problems:
            self._place(row, "connection_points", index, item)

    def _addresses(
        self, row: _Row, existing: list[dict[str, Any]], assignment: str | None
    ) -> list[dict[str, Any]] | None:
        text = row.values.get("addresses", "")
        by_address = {str(a["address"]): a for a in existing}
        if is_unknown(text):
            if assignment is None or not existing:
                return None
            return [{**a, "assignment": assignment} for a in existing]
        result = []
        for part in _split(text.replace("。", ".")):
            address = parse_address(part)
            if address is None:
                row.problem("addresses", "hearing.bad_ip", value=part)
                continue
            entry = dict(by_address.get(str(address), {"address": str(address)}))
            if assignment is not None:
                entry["assignment"] = assignment
            if entry.get("assignment") != "dynamic":
                entry.pop("confirmations", None)
            result.append(entry)
        return result

    def device(self, row: _Row) -> None:
        index, key = self._resolve(row, "devices", "name")
        existing = self.document["devices"][index] if index is not None else {}
        item: dict[str, Any] = {**existing, "key": key}
        self._text(row, item, ("name", "vendor", "model", "notes"))
        role = _choice(row, "role", "role")
        if role:
            item["role"] = role
        version = row.values.get("firmware_version", "")
        if not is_unknown(version) and version != existing.get("firmware_version"):
            item["firmware_version"] = version
            item["version_source"] = "hospital"
            item.pop("version_unavailable_reason", None)
            item.pop("firmware_version_normalised", None)
        points = row.values.get("connection_points", "")
        if not is_unknown(points):
            keys = []
            for part in _split(points):
                found = self._point_key(part)
                if found is None:
                    row.problem("connection_points", "hearing.unknown_point", value=part)
                else:
                    keys.append(found)
            item["connection_points"] = list(dict.fromkeys(keys))
        holder = self._holder(row, "managed_kind", "managed_name", existing.get("managed_by"))
        if holder is not None:
            item["managed_by"] = holder
        self._required(row, item)
        if not row.problems:
            self._place(row, "devices", index, item)

    def _point_key(self, text: str) -> str | None:
        folded = _fold(text)
        for point in self.document.get("connection_points", []):
            if folded in (_fold(str(point["key"])), _fold(str(point.get("name", "")))):
                return str(point["key"])
        return None

    def terminal(self, row: _Row) -> None:
        index, key = self._resolve(row, "terminals", "hostname")
        existing = self.document["terminals"][index] if index is not None else {}
        item: dict[str, Any] = {**existing, "key": key}
        hostname = row.values.get("hostname", "")
        if not is_unknown(hostname):
            item["hostname"] = hostname.upper() if hostname.isascii() else hostname
        self._text(row, item, ("system", "location"))
        role = _choice(row, "role", "terminal")
        if role:
            item["role"] = role
        self._required(row, item)
        if not row.problems:
            self._place(row, "terminals", index, item)

    # mapping validation problems back to cells ---------------------------------------

    _FIELD_COLUMNS: ClassVar[dict[str, str]] = {
        "contract_holder": "holder_name",
        "managed_by": "managed_name",
        "confirmations": "addresses",
    }

    def locate(self, problem: Problem) -> tuple[Problem, _Row | None]:
        path = problem.path
        if len(path) >= 2 and isinstance(path[1], int):
            row = self.origins.get((str(path[0]), path[1]))
            if row is not None:
                name = str(path[2]) if len(path) > 2 else None
                if name is not None:
                    name = self._FIELD_COLUMNS.get(name, name)
                    if name not in row.columns:
                        name = None
                return Problem((str(row.ref(name)),), None, problem.key, problem.params), row
        if path and path[0] == "institution" and len(path) > 1:
            ref = self.institution_refs.get(str(path[1]))
            if ref is not None:
                return Problem((str(ref),), None, problem.key, problem.params), None
        if path == ("terminals",):
            rows = [r for (s, _), r in self.origins.items() if s == "terminals"]
            if rows:
                row = max(rows, key=lambda r: r.number)
                return Problem((str(row.ref()),), None, problem.key, problem.params), row
        return problem, None


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
            problems.append(_problem(sheet.name, "hearing.missing_sheet", sheet=sheet.name))
    if problems:
        raise IntakeError("hearing.invalid_sheet", problems)

    form = shape.sheet("institution")
    values, refs = _form_values(workbook[form.name], form, problems)
    table_rows: dict[str, list[_Row]] = {}
    for section in TABLE_SECTIONS:
        sheet = shape.sheet(section)
        table_rows[section] = _table_rows(workbook[sheet.name], sheet, problems)
    if problems:  # the workbook's shape is wrong (missing columns): nothing can be read
        raise IntakeError("hearing.invalid_sheet", problems)
    return _merge(engagement, (values, refs), form.name, table_rows, partial)


TABLE_SECTIONS = ("vendors", "connection_points", "devices", "terminals")


def _merge(
    engagement: d.Engagement,
    institution: tuple[dict[str, str], dict[str, Ref]] | None,
    institution_name: str,
    table_rows: dict[str, list[_Row]],
    partial: bool,
) -> HearingImport:
    """The one path from answered values (a workbook's cells or a form's fields) to an
    engagement: the same normalising, matching, choices and validation for both."""
    merger = _Merger(engagement)
    form_problems = merger.institution(*institution) if institution is not None else []
    handlers = {
        "vendors": merger.vendor,
        "connection_points": merger.point,
        "devices": merger.device,
        "terminals": merger.terminal,
    }
    for section in TABLE_SECTIONS:
        for row in table_rows.get(section, []):
            handlers[section](row)
    bad_rows = [row for rows in table_rows.values() for row in rows if row.problems]
    if (bad_rows or form_problems) and not partial:
        all_problems = form_problems + [p for row in bad_rows for p in row.problems]
        raise IntakeError("hearing.invalid_sheet", all_problems)

    skipped: list[SkippedRow] = [
        SkippedRow(str(row.ref()), tuple(row.problems)) for row in bad_rows
    ]
    if form_problems:
        skipped.append(SkippedRow(institution_name, tuple(form_problems)))
    result = _validate(merger, partial, skipped)
    return HearingImport(result, merger.added, merger.updated, tuple(skipped))


def apply_form(
    engagement: d.Engagement,
    institution: Mapping[str, str] | None = None,
    tables: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
) -> HearingImport:
    """The engagement updated with the online form's answers, or ``IntakeError``.

    ``institution`` maps the form sheet's fields (``name``, ``contact1.email``, ...) and
    ``tables`` each table section to rows of column fields, exactly as the workbook has
    them; problems name the form fields (``vendors.1.company``). The workbook's rules
    apply: blank or 「不明」 keeps what is stored, rows match by key or name.
    """
    shape = layout()
    unknown = set(tables or {}) - set(TABLE_SECTIONS)
    if unknown:
        raise IntakeError("hearing.unknown_section", section=", ".join(sorted(unknown)))
    given_institution = None
    if institution is not None:
        columns = shape.sheet("institution").columns
        given_institution = (
            {
                c.field: normalise_text(institution.get(c.field, ""), nfkc=c.field in NFKC_FIELDS)
                for c in columns
            },
            {c.field: _field_ref("institution", c.field) for c in columns},
        )
    table_rows: dict[str, list[_Row]] = {}
    for section, rows in (tables or {}).items():
        sheet = shape.sheet(section)
        fields = {c.field: index for index, c in enumerate(sheet.columns, start=1)}
        kept: list[_Row] = []
        for index, given in enumerate(rows[:MAX_ROWS]):
            values = {
                name: normalise_text(given.get(name, ""), nfkc=name in NFKC_FIELDS)
                for name in fields
            }
            if any(v for name, v in values.items() if name != "key"):
                kept.append(_FormRow(sheet, index, values, fields))
        table_rows[section] = kept
    return _merge(engagement, given_institution, "institution", table_rows, partial=False)


def form_values(engagement: d.Engagement) -> dict[str, Any]:
    """What the engagement says, in the online form's vocabulary (choices as values)."""
    institution = _institution_values(engagement)
    tables: dict[str, list[dict[str, str]]] = {}
    for section in TABLE_SECTIONS:
        sheet = layout().sheet(section)
        rows = []
        for known in _known_rows(engagement, section):
            row = dict(known)
            for column in sheet.columns:
                text = row.get(column.field, "")
                if column.type == "choice" and text:
                    row[column.field] = next(
                        (v for v, label in _choices(column.vocabulary) if label == text), text
                    )
                elif column.type == "yesno" and text:
                    row[column.field] = "yes" if text == _yes_no()[0] else "no"
            rows.append(row)
        tables[section] = rows
    return {"institution": institution, **tables}


def choices(vocabulary: str) -> list[tuple[str, str]]:
    """(value, label message key) of a vocabulary the layout names (``kind``, ``holder``)."""
    enum, prefix = _VOCABULARIES[vocabulary]
    return [(m.value, f"{prefix}.{m.value}") for m in enum]


def _validate(merger: _Merger, partial: bool, skipped: list[SkippedRow]) -> d.Engagement:
    """Run the one validation gate; with ``partial``, drop offending rows and retry."""
    for _ in range(50):
        try:
            return validate_document(merger.document)
        except IntakeError as exc:
            located = [merger.locate(p) for p in exc.problems]
            if not partial:
                raise IntakeError("hearing.invalid_sheet", [p for p, _ in located]) from None
            offenders = {id(row): row for _, row in located if row is not None}
            if not offenders:
                raise IntakeError("hearing.invalid_sheet", [p for p, _ in located]) from None
            for row in offenders.values():
                row_problems = tuple(p for p, r in located if r is row)
                skipped.append(SkippedRow(str(row.ref()), row_problems))
                _drop(merger, row)
    raise IntakeError("hearing.invalid_sheet", [])


def _drop(merger: _Merger, row: _Row) -> None:
    """Undo one row's change: restore the stored item, or remove a new one."""
    for (section, index), origin in list(merger.origins.items()):
        if origin is not row:
            continue
        items = merger.document[section]
        key = items[index].get("key")
        original = next(
            (item for item in merger.original.get(section, []) if item.get("key") == key), None
        )
        if original is not None:
            items[index] = original
            merger.updated[section] = max(0, merger.updated.get(section, 0) - 1)
            del merger.origins[(section, index)]
        else:
            del items[index]
            merger.added[section] = max(0, merger.added.get(section, 0) - 1)
            shifted = {}
            for (s, i), r in merger.origins.items():
                if s == section and i > index:
                    shifted[(s, i - 1)] = r
                elif (s, i) != (section, index):
                    shifted[(s, i)] = r
            merger.origins = shifted
        return


def problem_lines(problems: Sequence[Problem], lang: str = "ja") -> list[str]:
    """Each problem as 「シート!セル: 文」."""
    return [p.message(lang) for p in problems]
