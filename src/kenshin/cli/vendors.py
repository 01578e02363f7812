"""``kenshin vendor``: the companies that manage lines and devices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import typer

from kenshin.cli._common import ItemCommands, ItemOption, add_item_commands

app = typer.Typer(no_args_is_help=True)


def _contact(name: str | None, email: str | None, phone: str | None) -> list[dict[str, Any]] | None:
    if name is None:
        return None
    return [{k: v for k, v in (("name", name), ("email", email), ("phone", phone)) if v}]


def _contacts(values: Mapping[str, Any]) -> dict[str, Any]:
    """``--contact`` with its ``--email`` and ``--phone`` as the vendor's one contact."""
    return {"contacts": _contact(values["contact"], values["email"], values["phone"])}


VENDOR_COMMANDS = ItemCommands(
    section="vendors",
    options=(
        ItemOption("company", required=True),
        ItemOption("manages"),
        ItemOption("contact", None),
        ItemOption("email", None),
        ItemOption("phone", None),
    ),
    add_help="Add a vendor.",
    edit_help="Change a vendor; options not given stay as they are.",
    remove_help="Remove a vendor (only when no line or device refers to it).",
    derive=_contacts,
)
add_item_commands(app, VENDOR_COMMANDS)
