"""Helpers the command modules share: loading, saving and JSON output."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from ipaddress import IPv4Address, IPv6Address
from typing import Any, TypeVar

import typer

from kenshin.cli._state import STATE, console
from kenshin.domain import Engagement
from kenshin.errors import KenshinError
from kenshin.intake import to_document, validate_document
from kenshin.store import EngagementRepository

E = TypeVar("E", bound=Enum)


class CliError(KenshinError):
    """A command was called with options that do not make sense."""


def json_default(value: object) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, IPv4Address | IPv6Address):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=json_default))


def choice(enum: type[E], value: str) -> E:
    """An enum member from its value, or a clear error listing the allowed values."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum)
        raise CliError("cli.bad_choice", value=value, allowed=allowed) from None


def load(code: str) -> Engagement:
    with STATE.store().session() as session:
        return EngagementRepository(session).get(code)


def edit_document(code: str, change: Callable[[dict[str, Any]], None]) -> Engagement:
    """Apply ``change`` to the engagement's document, validate all of it, then store it.

    Every edit goes through the same validation as an imported file, so the CLI can
    never store what the file format would refuse.
    """
    with STATE.store().session() as session:
        repository = EngagementRepository(session)
        document = to_document(repository.get(code))
        change(document)
        engagement = validate_document(document)
        repository.save(engagement)
        return engagement


def say(message_key: str, **params: object) -> None:
    console.print(STATE.t(message_key, **params))


def add_item(code: str, section: str, item: dict[str, Any]) -> Engagement:
    """Add one item (a connection point, device, ...) to an engagement section."""

    def change(document: dict[str, Any]) -> None:
        items = document.setdefault(section, [])
        if any(existing.get("key") == item["key"] for existing in items):
            raise CliError("cli.exists", key=item["key"])
        items.append(item)

    return edit_document(code, change)


def edit_item(code: str, section: str, key: str, changes: dict[str, Any]) -> Engagement:
    """Change the given fields of one item; fields given as None stay as they are."""

    def change(document: dict[str, Any]) -> None:
        for existing in document.get(section, []):
            if existing.get("key") == key:
                existing.update({k: v for k, v in changes.items() if v is not None})
                return
        raise CliError("cli.missing", key=key)

    return edit_document(code, change)


def remove_item(code: str, section: str, key: str) -> Engagement:
    def change(document: dict[str, Any]) -> None:
        items = document.get(section, [])
        kept = [existing for existing in items if existing.get("key") != key]
        if len(kept) == len(items):
            raise CliError("cli.missing", key=key)
        document[section] = kept

    return edit_document(code, change)


def holder_option(value: str | None) -> dict[str, Any] | None:
    """``hospital``, ``vendor:KEY`` or ``other:NAME`` as a holder document."""
    if value is None:
        return None
    kind, _, rest = value.partition(":")
    if kind == "vendor":
        return {"kind": "vendor", "vendor": rest}
    if kind in ("hospital", "other"):
        return {"kind": kind, "name": rest} if rest else {"kind": kind}
    raise CliError("cli.bad_choice", value=value, allowed="hospital, vendor:KEY, other:NAME")
