"""The hearing sheet's layout (data/hearing/hearing-sheet.yaml) and the words people type.

The sheets, columns, choices and help come from the layout file; ``normalise_text`` and
friends fold what hospitals actually type (full-width digits, 「不明」) the same way for the
workbook and the online form; problems name a cell (``シート!セル``) or a form field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

import yaml
from openpyxl.utils import get_column_letter

from kenshin import domain as d
from kenshin.i18n import translate
from kenshin.intake.engagement_file import (
    Problem,
)

# The one size limit of a hearing sheet, read from a file (CLI) or an upload (web).
MAX_WORKBOOK_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# Vocabulary name in the layout file → (enum, label key prefix).
VOCABULARIES: dict[str, tuple[type[Any], str]] = {
    "kind": (d.ConnectionKind, "label.kind"),
    "assignment": (d.AddressAssignment, "label.assignment"),
    "holder": (d.HolderKind, "label.holder"),
    "role": (d.DeviceRole, "label.role"),
    "terminal": (d.TerminalRole, "label.terminal"),
}


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
        return frozenset(fold_text(str(w)) for w in raw[name])

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


def choice_labels(vocabulary: str) -> list[tuple[str, str]]:
    """(value, Japanese label) pairs of a vocabulary, in enum order."""
    enum, prefix = VOCABULARIES[vocabulary]
    return [(m.value, translate(f"{prefix}.{m.value}", "ja")) for m in enum]


def named_choice(text: str, vocabulary: str) -> str | None:
    """The value of the member ``text`` names (its Japanese label, its value or its English
    label, compared folded), or None: how people's words for a choice are read everywhere."""
    folded = fold_text(text)
    enum, prefix = VOCABULARIES[vocabulary]
    for member in enum:
        names = (translate(f"{prefix}.{member.value}", lang) for lang in ("ja", "en"))
        if folded in (fold_text(str(member.value)), *(fold_text(n) for n in names)):
            return str(member.value)
    return None


def yes_no_words() -> list[str]:
    return [translate("label.yes", "ja"), translate("label.no", "ja")]


def fold_text(text: str) -> str:
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
    return not text or fold_text(text) in layout().unknown_words


def parse_address(text: str) -> IPv4Address | IPv6Address | None:
    """One IP address as people write it: full-width digits, 。 or ． for dots, spaces."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    cleaned = cleaned.replace("。", ".").replace("｡", ".").replace(" ", "")
    cleaned = re.sub(r"/32$", "", cleaned)
    try:
        return ip_address(cleaned)
    except ValueError:
        return None


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


def field_ref(section: str, field: str) -> Ref:
    return FieldRef(section, None, field)


def problem_at(ref: Ref | str, key: str, **params: object) -> Problem:
    return Problem((str(ref),), None, key, tuple((k, str(v)) for k, v in params.items()))


TABLE_SECTIONS = ("vendors", "connection_points", "devices", "terminals")


def choices(vocabulary: str) -> list[tuple[str, str]]:
    """(value, label message key) of a vocabulary the layout names (``kind``, ``holder``)."""
    enum, prefix = VOCABULARIES[vocabulary]
    return [(m.value, f"{prefix}.{m.value}") for m in enum]


def problem_lines(problems: Sequence[Problem], lang: str = "ja") -> list[str]:
    """Each problem as 「シート!セル: 文」."""
    return [p.message(lang) for p in problems]
