"""The engagement file: one engagement as human-readable YAML (``kenshin.engagement/1``).

Reading goes through three gates, and nothing reaches the store unless all pass:
YAML syntax (with line numbers), the pydantic schema (types, vocabularies, unknown
fields), then the cross references (keys, vendors, connection points, addresses).
Every problem is reported with its field path and line, in Japanese and English.
"""

from __future__ import annotations

import errno
import io
import re
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, fields
from datetime import date
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from kenshin import domain as d
from kenshin.errors import KenshinError
from kenshin.i18n import translate
from kenshin.intake.engagement_schema import MAX_BEDS as MAX_BEDS  # web/inventory reads it here
from kenshin.intake.engagement_schema import (
    SCHEMA,
    ContactModel,
    EngagementModel,
    HolderModel,
    is_email,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Item = TypeVar("Item", bound="DataclassInstance")

MAX_FILE_BYTES = 5 * 1024 * 1024

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located by field path and line.

    ``shown`` is the path as the user wrote it (``connection_points[CP-01].kind``, items
    named by their own keys); ``path`` keeps the positions, for finding the line.
    """

    path: Path_
    line: int | None
    key: str
    params: tuple[tuple[str, str], ...] = ()
    shown: str = ""

    def location(self, lang: str = "en") -> str:
        dotted = self.shown or ".".join(str(p) for p in self.path)
        if not self.line:
            return dotted or "(root)"
        line = f"{self.line}行目" if lang == "ja" else f"line {self.line}"
        if not dotted:
            return line
        return f"{dotted}（{line}）" if lang == "ja" else f"{dotted} ({line})"

    def message(self, lang: str) -> str:
        text = translate(self.key, lang, **dict(self.params))
        return f"{self.location(lang)}: {text}"


def cannot_read(path: Path | str, exc: OSError) -> IntakeError:
    """The error for a file that cannot be opened, its reason in the user's language."""
    keys = {
        errno.ENOENT: "intake.no_such_file",
        errno.EACCES: "intake.no_permission",
        errno.EPERM: "intake.no_permission",
        errno.EISDIR: "intake.is_directory",
    }
    key = keys.get(exc.errno or 0)
    if key is not None:
        return IntakeError(key, path=str(path))
    return IntakeError("intake.cannot_read", path=str(path), reason=exc.strerror or str(exc))


class IntakeError(KenshinError):
    """An input file cannot be taken in; ``problems`` says every reason."""

    def __init__(
        self, message_key: str, problems: Sequence[Problem] = (), **params: object
    ) -> None:
        self.problems = tuple(problems)
        super().__init__(message_key, **params)

    def message(self, lang: str = "ja") -> str:
        head = translate(self.key, lang, **self.params)
        if not self.problems:
            return head
        lines = [head, *(f"  - {p.message(lang)}" for p in self.problems)]
        return "\n".join(lines)


def date_of(text: str | None) -> date | None:
    """A date people typed (2026-12-01) or None when blank: the one reading of a date
    option or form field, refused alike by the command line and the web."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise IntakeError("intake.not_date", value=text) from None


# -- reading ---------------------------------------------------------------------------


def _line_of(tree: Any, path: Path_) -> int | None:
    """The 1-based line of ``path`` in a ruamel round-trip tree, as near as it gets."""
    node = tree
    line: int | None = None
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            with suppress(KeyError, TypeError, AttributeError):
                line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            with suppress(KeyError, TypeError, AttributeError):
                line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    if line is None and hasattr(node, "lc"):
        line = node.lc.line + 1
    return line


def _shown(tree: Any, path: Path_) -> str:
    """``path`` as the file names it: list items by their ``key`` (``[CP-01]``), else by
    their position counted from 1 (``[#2]``)."""
    node = tree
    out = ""
    for part in path:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            name = item.get("key") if isinstance(item, dict) else None
            out += f"[{name}]" if isinstance(name, str) and name else f"[#{part + 1}]"
            node = item
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _plain(node: Any) -> Any:
    """A ruamel tree as plain dicts/lists, for pydantic."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


_PYDANTIC_KEYS = {
    "missing": "intake.missing",
    "extra_forbidden": "intake.unknown_field",
    "enum": "intake.not_in_vocabulary",
    "literal_error": "intake.not_in_vocabulary",
    "ip_v4_address": "intake.not_ip",
    "ip_v6_address": "intake.not_ip",
    "ip_any_address": "intake.not_ip",
    "string_pattern_mismatch": "intake.bad_key",
    "string_too_short": "intake.empty",
    "int_parsing": "intake.not_integer",
    "int_type": "intake.not_integer",
    "bool_parsing": "intake.not_bool",
    "bool_type": "intake.not_bool",
    "date_parsing": "intake.not_date",
    "date_from_datetime_parsing": "intake.not_date",
    "datetime_parsing": "intake.not_datetime",
    "datetime_from_date_parsing": "intake.not_datetime",
    "greater_than_equal": "intake.too_small",
    "less_than_equal": "intake.too_large",
    "list_type": "intake.not_list",
    "model_type": "intake.not_mapping",
    "dict_type": "intake.not_mapping",
    "string_type": "intake.not_text",
}


def _schema_problems(error: ValidationError, tree: Any) -> list[Problem]:
    problems = []
    for item in error.errors():
        path: Path_ = tuple(p for p in item["loc"] if not (isinstance(p, str) and "[" in p))
        if item["type"] == "ip_any_address" or "IPv" in "".join(str(p) for p in item["loc"]):
            path = tuple(p for p in path if p not in ("IPv4Address", "IPv6Address"))
            key = "intake.not_ip"
        else:
            key = _PYDANTIC_KEYS.get(item["type"], "intake.invalid")
        expected = item.get("ctx", {}).get("expected", "")
        problems.append(
            Problem(
                path,
                _line_of(tree, path),
                key,
                (
                    ("detail", str(item["msg"])),
                    ("expected", str(expected)),
                    ("value", str(item.get("input", ""))[:80]),
                ),
                _shown(tree, path),
            )
        )
    unique: dict[tuple[Path_, str], Problem] = {}
    for problem in problems:
        unique.setdefault((problem.path, problem.key), problem)
    return list(unique.values())


def _cross_problems(model: EngagementModel, tree: Any) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: Path_, key: str, **params: str) -> None:
        problems.append(
            Problem(path, _line_of(tree, path), key, tuple(params.items()), _shown(tree, path))
        )

    def duplicates(
        items: Sequence[Any], field: str, section: str, same: Callable[[str], str] = str
    ) -> set[str]:
        """The values of ``field``, each named twice noted; ``same`` says which are one."""
        seen: dict[str, str] = {}
        for index, item in enumerate(items):
            value = getattr(item, field)
            if same(value) in seen:
                add((section, index, field), "intake.duplicate_key", value=str(value))
            seen.setdefault(same(value), value)
        return set(seen.values())

    def contacts(path: Path_, items: Sequence[ContactModel]) -> None:
        for index, contact in enumerate(items):
            if contact.email and not is_email(contact.email):
                add((*path, index, "email"), "intake.bad_email", value=contact.email)

    contacts(("institution", "contacts"), model.institution.contacts)
    for index, vendor in enumerate(model.vendors):
        contacts(("vendors", index, "contacts"), vendor.contacts)
    vendor_keys = duplicates(model.vendors, "key", "vendors")
    point_keys = duplicates(model.connection_points, "key", "connection_points")
    duplicates(model.devices, "key", "devices")
    duplicates(model.terminals, "key", "terminals")
    # Windows host names know no case: PC-01 and pc-01 are one terminal (as the import matches)
    duplicates(model.terminals, "hostname", "terminals", str.casefold)

    def holder(path: Path_, value: HolderModel) -> None:
        if value.kind is d.HolderKind.VENDOR and not value.vendor:
            add((*path, "vendor"), "intake.holder_needs_vendor")
        if value.vendor and value.vendor not in vendor_keys:
            add((*path, "vendor"), "intake.unknown_vendor", value=value.vendor)

    assignments: dict[str, tuple[str, Path_]] = {}
    for index, point in enumerate(model.connection_points):
        base: Path_ = ("connection_points", index)
        holder((*base, "contract_holder"), point.contract_holder)
        if not point.in_ehr_scope and not point.scope_reason:
            add((*base, "scope_reason"), "intake.out_of_scope_needs_reason")
        if point.kind is d.ConnectionKind.CLOSED_NETWORK and point.internet_reachable:
            add((*base, "internet_reachable"), "intake.closed_network_internet")
        for a_index, address in enumerate(point.addresses):
            path: Path_ = (*base, "addresses", a_index, "address")
            text = str(address.address)
            if text in assignments:
                previous, _ = assignments[text]
                if {previous, address.assignment.value} == {"fixed", "dynamic"}:
                    add(path, "intake.fixed_and_dynamic", value=text)
                else:
                    add(path, "intake.duplicate_address", value=text)
            assignments[text] = (address.assignment.value, path)
            if address.confirmations and address.assignment is not d.AddressAssignment.DYNAMIC:
                add(
                    (*base, "addresses", a_index, "confirmations"),
                    "intake.confirmation_not_dynamic",
                    value=text,
                )
            for c_index, confirmation in enumerate(address.confirmations):
                if confirmation.confirmed_at.tzinfo is None:
                    add(
                        (*base, "addresses", a_index, "confirmations", c_index, "confirmed_at"),
                        "intake.needs_timezone",
                    )
    for index, device in enumerate(model.devices):
        base = ("devices", index)
        holder((*base, "managed_by"), device.managed_by)
        for p_index, key in enumerate(device.connection_points):
            if key not in point_keys:
                add((*base, "connection_points", p_index), "intake.unknown_point", value=key)
        if device.version_source is d.VersionSource.NOT_OBTAINED:
            if not device.version_unavailable_reason:
                add((*base, "version_unavailable_reason"), "intake.unavailable_needs_reason")
            if device.firmware_version:
                add((*base, "firmware_version"), "intake.version_and_not_obtained")
    if len(model.terminals) > model.terminal_limit:
        add(
            ("terminals",),
            "intake.too_many_terminals",
            count=str(len(model.terminals)),
            limit=str(model.terminal_limit),
        )
    if model.survey and model.survey.end < model.survey.start:
        add(("survey", "end"), "intake.end_before_start")
    if model.diagnosis_window and model.diagnosis_window.end <= model.diagnosis_window.start:
        add(("diagnosis_window", "end"), "intake.end_before_start")
    return problems


def validate_document(document: Any, tree: Any = None) -> d.Engagement:
    """A parsed document (plain data) as an ``Engagement``, or ``IntakeError``."""
    if not isinstance(document, dict):
        raise IntakeError("intake.not_engagement_file")
    try:
        model = EngagementModel.model_validate(document)
    except ValidationError as exc:
        raise IntakeError("intake.invalid_file", _schema_problems(exc, tree)) from None
    problems = _cross_problems(model, tree)
    if problems:
        raise IntakeError("intake.invalid_file", problems)
    return _to_domain(model)


# ruamel.yaml's words for a syntax error -> our sentence (ja/en in the catalogue).
_YAML_PROBLEMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"found character '\\t'"), "intake.yaml.tab"),
    (re.compile(r"found duplicate key \"(?P<name>[^\"]*)\""), "intake.yaml.duplicate_key"),
    (re.compile(r"mapping values are not allowed"), "intake.yaml.colon_in_value"),
    (re.compile(r"could not find expected ':'"), "intake.yaml.no_colon"),
    (re.compile(r"expected ',' or '\]'"), "intake.yaml.open_list"),
    (re.compile(r"expected ',' or '\}'"), "intake.yaml.open_mapping"),
    (re.compile(r"expected <block end>|expected <block mapping start>"), "intake.yaml.indent"),
]
_YAML_CONTEXTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"while scanning a quoted scalar"), "intake.yaml.open_quote"),
]


def _yaml_problem(exc: MarkedYAMLError) -> Problem:
    """One syntax problem in the user's words, at the line where the fault starts.

    A scanner error (an unclosed quote, a key without ``:``) is noticed only at a later
    line; its ``context_mark`` is where the fault is.
    """
    problem = str(exc.problem or exc)
    context = str(exc.context or "")
    mark = exc.problem_mark
    for pattern, key in _YAML_CONTEXTS:
        if pattern.search(context):
            line = exc.context_mark.line + 1 if exc.context_mark is not None else None
            return Problem((), line, key)
    for pattern, key in _YAML_PROBLEMS:
        found = pattern.search(problem)
        if found:
            if key == "intake.yaml.no_colon" and exc.context_mark is not None:
                mark = exc.context_mark
            line = mark.line + 1 if mark is not None else None
            return Problem((), line, key, tuple(found.groupdict().items()))
    line = mark.line + 1 if mark is not None else None
    return Problem((), line, "intake.yaml_detail", (("detail", problem),))


def parse_text(text: str) -> d.Engagement:
    """Read an engagement file's text."""
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(io.StringIO(text))
    except MarkedYAMLError as exc:
        raise IntakeError("intake.yaml_syntax", [_yaml_problem(exc)]) from None
    except YAMLError as exc:
        raise IntakeError(
            "intake.yaml_syntax", [Problem((), None, "intake.yaml_detail", (("detail", str(exc)),))]
        ) from None
    return validate_document(_plain(tree), tree)


def read_file(path: Path) -> d.Engagement:
    """Read an engagement file from disk, refusing what is not one."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise cannot_read(path, exc) from None
    if size > MAX_FILE_BYTES:
        raise IntakeError("intake.too_large_file", path=str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise cannot_read(path, exc) from None
    return parse_bytes(data, str(path))


def parse_bytes(data: bytes, name: str) -> d.Engagement:
    """Read an engagement file's bytes (an upload, a file's content) named ``name``."""
    if len(data) > MAX_FILE_BYTES:
        raise IntakeError("intake.too_large_file", path=name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IntakeError("intake.not_utf8", path=name) from None
    return parse_text(text)


def _contacts(items: Sequence[ContactModel]) -> tuple[d.Contact, ...]:
    return tuple(d.Contact(c.name, c.role, c.email, c.phone) for c in items)


def _holder(value: HolderModel) -> d.ContractHolder:
    return d.ContractHolder(value.kind, value.vendor, value.name)


def _from_model(kind: type[Item], model: Any, **given: Any) -> Item:
    """A domain item from its file model: the fields the two share by name, ``given`` the rest."""
    names = [f.name for f in fields(kind)]
    return kind(**{name: given[name] if name in given else getattr(model, name) for name in names})


def _to_domain(model: EngagementModel) -> d.Engagement:
    inst = model.institution
    return d.Engagement(
        code=model.code,
        title=model.title,
        institution=d.Institution(
            inst.name,
            inst.name_en,
            inst.address,
            inst.prefecture,
            inst.bed_count,
            _contacts(inst.contacts),
        ),
        status=model.status,
        survey_start=model.survey.start if model.survey else None,
        survey_end=model.survey.end if model.survey else None,
        window=d.DiagnosisWindow(model.diagnosis_window.start, model.diagnosis_window.end)
        if model.diagnosis_window
        else None,
        authorisation=d.Authorisation(
            model.authorisation.approved_by,
            model.authorisation.approved_at,
            model.authorisation.document_ref,
        )
        if model.authorisation
        else None,
        terminal_limit=model.terminal_limit,
        vendors=tuple(
            d.Vendor(v.key, v.company, _contacts(v.contacts), v.manages) for v in model.vendors
        ),
        connection_points=tuple(
            _from_model(
                d.ConnectionPoint,
                p,
                contract_holder=_holder(p.contract_holder),
                addresses=tuple(
                    d.GlobalAddress(
                        a.address,
                        a.assignment,
                        tuple(
                            d.AddressConfirmation(c.confirmed_at, c.confirmed_by)
                            for c in a.confirmations
                        ),
                        a.note,
                    )
                    for a in p.addresses
                ),
            )
            for p in model.connection_points
        ),
        devices=tuple(
            _from_model(
                d.Device,
                v,
                connection_points=tuple(v.connection_points),
                managed_by=_holder(v.managed_by),
            )
            for v in model.devices
        ),
        terminals=tuple(
            d.Terminal(t.key, t.hostname, t.role, t.system, t.location) for t in model.terminals
        ),
    )


# -- writing -------------------------------------------------------------------------


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in ("", None, [], {})}


def _holder_doc(holder: d.ContractHolder) -> dict[str, Any]:
    return _drop_empty(
        {"kind": holder.kind.value, "vendor": holder.vendor_key, "name": holder.name}
    )


def _contacts_doc(contacts: Sequence[d.Contact]) -> list[dict[str, Any]]:
    return [
        _drop_empty({"name": c.name, "role": c.role, "email": c.email, "phone": c.phone})
        for c in contacts
    ]


def _item_doc(item: Any, **given: Any) -> dict[str, Any]:
    """A connection point, device or terminal as its file writes it: the fields in the domain
    type's order, enums as values, tuples as lists, holders as documents; ``given`` holds the
    fields that need more than that."""
    document: dict[str, Any] = {}
    for f in fields(item):
        value = given[f.name] if f.name in given else getattr(item, f.name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, d.ContractHolder):
            value = _holder_doc(value)
        document[f.name] = value
    return _drop_empty(document)


def to_document(engagement: d.Engagement) -> dict[str, Any]:
    """An ``Engagement`` as the plain data of its file (the inverse of ``validate_document``)."""
    inst = engagement.institution
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "code": engagement.code,
        "title": engagement.title,
        "status": engagement.status.value,
        "institution": _drop_empty(
            {
                "name": inst.name,
                "name_en": inst.name_en,
                "address": inst.address,
                "prefecture": inst.prefecture,
                "bed_count": inst.bed_count,
                "contacts": _contacts_doc(inst.contacts),
            }
        ),
    }
    if engagement.survey_start and engagement.survey_end:
        document["survey"] = {"start": engagement.survey_start, "end": engagement.survey_end}
    if engagement.window:
        document["diagnosis_window"] = {
            "start": engagement.window.starts_at,
            "end": engagement.window.ends_at,
        }
    if engagement.authorisation:
        auth = engagement.authorisation
        document["authorisation"] = _drop_empty(
            {
                "approved_by": auth.approved_by,
                "approved_at": auth.approved_at,
                "document_ref": auth.document_ref,
            }
        )
    document["terminal_limit"] = engagement.terminal_limit
    document["vendors"] = [
        _drop_empty(
            {
                "key": v.key,
                "company": v.company,
                "manages": v.manages,
                "contacts": _contacts_doc(v.contacts),
            }
        )
        for v in engagement.vendors
    ]
    document["connection_points"] = [
        _item_doc(
            p,
            addresses=[
                _drop_empty(
                    {
                        "address": str(a.address),
                        "assignment": a.assignment.value,
                        "confirmations": [
                            {"confirmed_at": c.confirmed_at, "confirmed_by": c.confirmed_by}
                            for c in a.confirmations
                        ],
                        "note": a.note,
                    }
                )
                for a in p.addresses
            ],
        )
        for p in engagement.connection_points
    ]
    document["devices"] = [_item_doc(v) for v in engagement.devices]
    document["terminals"] = [_item_doc(t) for t in engagement.terminals]
    return document


def dump_text(engagement: d.Engagement) -> str:
    """An engagement as YAML text that ``parse_text`` reads back to the same engagement."""
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = 100
    buffer = io.StringIO()
    yaml.dump(to_document(engagement), buffer)
    return buffer.getvalue()
