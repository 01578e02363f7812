"""Merging answered rows (a workbook's or the online form's) into an engagement.

Rows match what is stored by key or, when the key is blank, by name; the result goes
through the one validation gate (``validate_document``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kenshin import domain as d
from kenshin.intake.engagement_file import (
    IntakeError,
    Problem,
    to_document,
    validate_document,
)
from kenshin.intake.engagement_schema import KEY_PATTERN, bed_count_of, is_email
from kenshin.intake.hearing_sheet.layout import (
    TABLE_SECTIONS,
    CellRef,
    FieldRef,
    Ref,
    SheetLayout,
    choice_labels,
    fold_text,
    is_unknown,
    layout,
    named_choice,
    parse_address,
    problem_at,
    yes_no_words,
)

_KEY_RE = re.compile(KEY_PATTERN)
_SPLIT_RE = re.compile(r"[,、，;；\s]+")


@dataclass
class AnsweredRow:
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
        self.problems.append(problem_at(self.ref(name), key, **params))


@dataclass
class FormRow(AnsweredRow):
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


def _choice(row: AnsweredRow, name: str, vocabulary: str) -> str | None:
    """The enum value a cell names (Japanese label, English value or label), or None."""
    text = row.values.get(name, "")
    if is_unknown(text):
        return None
    value = named_choice(text, vocabulary)
    if value is not None:
        return value
    allowed = "、".join(label for _, label in choice_labels(vocabulary))
    row.problem(name, "hearing.bad_choice", value=text, allowed=allowed)
    return None


def _set_choice(row: AnsweredRow, item: dict[str, Any], name: str, vocabulary: str) -> None:
    """``item[name]`` becomes the enum value the cell names; a blank or unknown cell keeps it."""
    value = _choice(row, name, vocabulary)
    if value:
        item[name] = value


def _yes_no_value(row: AnsweredRow, name: str) -> bool | None:
    text = row.values.get(name, "")
    if is_unknown(text) and fold_text(text) not in layout().no_words:
        return None
    folded = fold_text(text)
    if folded in layout().yes_words:
        return True
    if folded in layout().no_words:
        return False
    row.problem(name, "hearing.bad_choice", value=text, allowed="、".join(yes_no_words()))
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
        self.origins: dict[tuple[str, int], AnsweredRow] = {}
        self.added: dict[str, int] = {}
        self.updated: dict[str, int] = {}
        self.institution_refs: dict[str, Ref] = {}

    # keys ---------------------------------------------------------------------------

    def _resolve(self, row: AnsweredRow, section: str, match_by: str) -> tuple[int | None, str]:
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
        wanted = fold_text(row.values.get(match_by, ""))
        if wanted:
            for index, item in enumerate(items):
                if fold_text(str(item.get(match_by, ""))) == wanted:
                    return index, str(item["key"])
        used = (str(item.get("key", "")) for item in items)
        return None, d.next_free_key(row.sheet.key_prefix, used)

    def _item(
        self, row: AnsweredRow, section: str, match_by: str
    ) -> tuple[int | None, dict[str, Any], dict[str, Any]]:
        """(index or None, the stored item or {}, a copy carrying its key for the row to fill)."""
        index, key = self._resolve(row, section, match_by)
        existing: dict[str, Any] = self.document[section][index] if index is not None else {}
        return index, existing, {**existing, "key": key}

    def _place(
        self, row: AnsweredRow, section: str, index: int | None, item: dict[str, Any]
    ) -> None:
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
        folded = fold_text(text)
        for vendor in self.document.get("vendors", []):
            if folded in (
                fold_text(str(vendor.get("key", ""))),
                fold_text(str(vendor.get("company", ""))),
            ):
                return str(vendor["key"])
        return None

    def _holder(
        self, row: AnsweredRow, kind_field: str, name_field: str, existing: dict[str, Any] | None
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

    def _text(self, row: AnsweredRow, item: dict[str, Any], names: Iterable[str]) -> None:
        for name in names:
            value = row.values.get(name, "")
            if not is_unknown(value):
                item[name] = value

    def _required(self, row: AnsweredRow, item: dict[str, Any]) -> None:
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
            count = bed_count_of(beds)
            if count is not None:
                inst["bed_count"] = count
            else:
                problems.append(problem_at(refs["bed_count"], "hearing.not_integer", value=beds))
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
                    problem_at(
                        refs[f"contact{index}.name"],
                        "hearing.required",
                        column="氏名",
                        column_en="Name",
                    )
                )
                continue
            if fields.get("email") and not is_email(fields["email"]):
                problems.append(
                    problem_at(
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
                problem_at(
                    refs.get("name", "医療機関"),
                    "hearing.required",
                    column="医療機関名",
                    column_en="Institution name",
                )
            )
        return problems

    def vendor(self, row: AnsweredRow) -> None:
        index, _, item = self._item(row, "vendors", "company")
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
            elif contact.get("email") and not is_email(contact["email"]):
                row.problem("contact_email", "hearing.bad_email", value=contact["email"])
            else:
                contacts = list(item.get("contacts", []))
                first = contacts[0] if contacts else {}
                contacts[:1] = [{**first, **contact}]
                item["contacts"] = contacts
        self._required(row, item)
        if not row.problems:
            self._place(row, "vendors", index, item)

    def point(self, row: AnsweredRow) -> None:
        index, existing, item = self._item(row, "connection_points", "name")
        self._text(row, item, ("name", "carrier", "scope_reason", "description"))
        _set_choice(row, item, "kind", "kind")
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
        self, row: AnsweredRow, existing: list[dict[str, Any]], assignment: str | None
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

    def device(self, row: AnsweredRow) -> None:
        index, existing, item = self._item(row, "devices", "name")
        self._text(row, item, ("name", "vendor", "model", "notes"))
        _set_choice(row, item, "role", "role")
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
        folded = fold_text(text)
        for point in self.document.get("connection_points", []):
            if folded in (fold_text(str(point["key"])), fold_text(str(point.get("name", "")))):
                return str(point["key"])
        return None

    def terminal(self, row: AnsweredRow) -> None:
        index, _, item = self._item(row, "terminals", "hostname")
        hostname = row.values.get("hostname", "")
        if not is_unknown(hostname):
            item["hostname"] = hostname.upper() if hostname.isascii() else hostname
        self._text(row, item, ("system", "location"))
        _set_choice(row, item, "role", "terminal")
        self._required(row, item)
        if not row.problems:
            self._place(row, "terminals", index, item)

    # mapping validation problems back to cells ---------------------------------------

    _FIELD_COLUMNS: ClassVar[dict[str, str]] = {
        "contract_holder": "holder_name",
        "managed_by": "managed_name",
        "confirmations": "addresses",
    }

    def locate(self, problem: Problem) -> tuple[Problem, AnsweredRow | None]:
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


def merge_answers(
    engagement: d.Engagement,
    institution: tuple[dict[str, str], dict[str, Ref]] | None,
    institution_name: str,
    table_rows: dict[str, list[AnsweredRow]],
    partial: bool,
) -> HearingImport:
    """The one path from answered values (a workbook's cells or a form's fields) to an
    engagement: the same normalising, matching, choices and validation for both (and a
    closed engagement takes neither)."""
    d.refuse_closed(engagement)
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


def _drop(merger: _Merger, row: AnsweredRow) -> None:
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
