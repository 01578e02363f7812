"""Editing an engagement's inventory: create, export, and items added, changed or
removed by key (connection points, devices, vendors, terminals).

The command line and the web application both call these functions, so both store
exactly what the engagement file format accepts: every edit turns the stored engagement
into its document, changes the document, and validates all of it again
(``validate_document``) before saving. A refused edit raises ``IntakeError`` with
per-field problems (or ``InventoryError``) and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from ipaddress import ip_address
from typing import Any

from sqlalchemy.orm import Session

from kenshin.domain import (
    DEFAULT_TERMINAL_LIMIT,
    AddressAssignment,
    ConnectionKind,
    Engagement,
    refuse_closed,
)
from kenshin.errors import KenshinError
from kenshin.intake import dump_text, to_document, validate_document
from kenshin.store import EngagementRepository, StoreError

# Kinds of line that reach the internet unless said otherwise.
INTERNET_KINDS = frozenset(
    {
        ConnectionKind.INTERNET.value,
        ConnectionKind.REMOTE_MAINTENANCE.value,
        ConnectionKind.VPN.value,
    }
)


class InventoryError(KenshinError):
    """An edit names an item that is not there, or one that is there already."""


def edit_engagement(
    session: Session, code: str, change: Callable[[dict[str, Any]], None]
) -> tuple[Engagement, Engagement]:
    """Apply ``change`` to the engagement's document, validate all of it, then store it;
    the engagement before and after. The one path of every edit (items here; the
    authorisation and address confirmations in ``kenshin.app``): a closed engagement
    refuses them all."""
    repository = EngagementRepository(session)
    before = repository.get(code)
    refuse_closed(before)
    document = to_document(before)
    change(document)
    after = validate_document(document)
    repository.save(after)
    return before, after


def add_item(session: Session, code: str, section: str, item: dict[str, Any]) -> Engagement:
    """Add one item (a connection point, device, ...) to an engagement section."""

    def change(document: dict[str, Any]) -> None:
        items = document.setdefault(section, [])
        if any(existing.get("key") == item["key"] for existing in items):
            raise InventoryError("inventory.exists", key=item["key"])
        items.append(item)

    return edit_engagement(session, code, change)[1]


def edit_item(
    session: Session, code: str, section: str, key: str, changes: dict[str, Any]
) -> Engagement:
    """Change the given fields of one item; fields given as None stay as they are.

    New addresses of a connection point keep the day-of-diagnosis confirmations and notes
    of the addresses they repeat (see ``merge_addresses``).
    """

    def change(document: dict[str, Any]) -> None:
        for existing in document.get(section, []):
            if existing.get("key") == key:
                given = {k: v for k, v in changes.items() if v is not None}
                if "addresses" in given:
                    given["addresses"] = merge_addresses(
                        existing.get("addresses", []), given["addresses"]
                    )
                existing.update(given)
                return
        raise InventoryError("inventory.missing", key=key)

    return edit_engagement(session, code, change)[1]


def remove_item(session: Session, code: str, section: str, key: str) -> Engagement:
    """Remove one item; refused (by validation) while other items still refer to it."""

    def change(document: dict[str, Any]) -> None:
        items = document.get(section, [])
        kept = [existing for existing in items if existing.get("key") != key]
        if len(kept) == len(items):
            raise InventoryError("inventory.missing", key=key)
        users = referring_items(document, section, key)
        if users:
            raise InventoryError("inventory.in_use", key=key, users=", ".join(users))
        document[section] = kept

    return edit_engagement(session, code, change)[1]


def referring_items(document: dict[str, Any], section: str, key: str) -> list[str]:
    """Keys of the items that name ``key`` of ``section`` (a device on a line, a line or
    device held or managed by a vendor), so a removal can say what still needs it."""
    users: list[str] = []
    if section == "connection_points":
        users = [
            d["key"] for d in document.get("devices", []) if key in d.get("connection_points", [])
        ]
    elif section == "vendors":
        for part, field in (("connection_points", "contract_holder"), ("devices", "managed_by")):
            users += [
                item["key"]
                for item in document.get(part, [])
                if (item.get(field) or {}).get("vendor") == key
            ]
    return users


def with_point_defaults(item: dict[str, Any]) -> dict[str, Any]:
    """A new connection point: internet lines, remote maintenance and VPN reach the internet
    unless ``internet_reachable`` says otherwise; the hospital holds the line by default."""
    result = dict(item)
    if result.get("internet_reachable") is None:
        result["internet_reachable"] = result.get("kind") in INTERNET_KINDS
    if not result.get("contract_holder"):
        result["contract_holder"] = {"kind": "hospital"}
    return result


def merge_addresses(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The new address list; an address that stays keeps its note, and its confirmations
    while it stays dynamic (a confirmation says "this dynamic address was ours today")."""
    before = {str(entry.get("address")): entry for entry in old}
    merged = []
    for entry in new:
        previous = before.get(str(entry.get("address")), {})
        kept = dict(entry)
        if previous.get("note") and not kept.get("note"):
            kept["note"] = previous["note"]
        if previous.get("confirmations") and kept.get("assignment") == "dynamic":
            kept["confirmations"] = previous["confirmations"]
        merged.append(kept)
    return merged


def parse_address(value: str) -> dict[str, Any]:
    """``ADDRESS[:fixed|dynamic|unknown]`` as an address document."""
    text, assignment = value, AddressAssignment.UNKNOWN
    for member in AddressAssignment:
        if value.endswith(f":{member.value}"):
            text, assignment = value[: -len(member.value) - 1], member
    try:
        ip_address(text)
    except ValueError:
        raise InventoryError("inventory.bad_address", value=value) from None
    return {"address": text, "assignment": assignment.value}


def parse_holder(value: str) -> dict[str, Any]:
    """``hospital``, ``vendor:KEY`` or ``other:NAME`` as a holder document."""
    kind, _, rest = value.partition(":")
    if kind == "vendor":
        return {"kind": "vendor", "vendor": rest}
    if kind in ("hospital", "other"):
        return {"kind": kind, "name": rest} if rest else {"kind": kind}
    raise InventoryError("inventory.bad_holder", value=value)


def create_engagement(
    session: Session,
    code: str,
    title: str,
    institution: str,
    *,
    prefecture: str = "",
    beds: int | None = None,
    status: str = "draft",
    survey_start: date | None = None,
    survey_end: date | None = None,
    terminal_limit: int = DEFAULT_TERMINAL_LIMIT,
) -> Engagement:
    """A new, empty engagement for an institution (refused when the code is taken)."""
    document: dict[str, Any] = {
        "schema": "kenshin.engagement/1",
        "code": code,
        "title": title,
        "status": status,
        "institution": {"name": institution, "prefecture": prefecture, "bed_count": beds},
        "terminal_limit": terminal_limit,
    }
    if survey_start is not None or survey_end is not None:
        document["survey"] = {"start": survey_start, "end": survey_end}
    engagement = validate_document(document)
    repository = EngagementRepository(session)
    if repository.exists(engagement.code):
        raise StoreError("store.engagement_exists", code=engagement.code)
    repository.save(engagement)
    return engagement


def export_text(session: Session, code: str) -> str:
    """The engagement as its YAML file."""
    return dump_text(EngagementRepository(session).get(code))
