"""``kenshin vendor``: the companies that manage lines and devices."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kenshin.cli._common import add_item, add_remove_command, edit_item
from kenshin.cli._options import CodeArg, KeyArg, Opt

app = typer.Typer(no_args_is_help=True)


def _contact(name: str | None, email: str | None, phone: str | None) -> list[dict[str, Any]] | None:
    if name is None:
        return None
    return [{k: v for k, v in (("name", name), ("email", email), ("phone", phone)) if v}]


def _fields(
    company: str | None,
    manages: str | None,
    contact: str | None,
    email: str | None,
    phone: str | None,
) -> dict[str, Any]:
    """The vendor document's fields from the options, as both ``add`` and ``edit`` take them."""
    return {"company": company, "manages": manages, "contacts": _contact(contact, email, phone)}


@app.command("add")
def add(
    code: CodeArg,
    key: KeyArg,
    company: Annotated[str, typer.Option()],
    manages: Opt = None,
    contact: Opt = None,
    email: Opt = None,
    phone: Opt = None,
) -> None:
    """Add a vendor."""
    add_item(code, "vendors", key, _fields(company, manages, contact, email, phone))


@app.command("edit")
def edit(
    code: CodeArg,
    key: KeyArg,
    company: Opt = None,
    manages: Opt = None,
    contact: Opt = None,
    email: Opt = None,
    phone: Opt = None,
) -> None:
    """Change a vendor; options not given stay as they are."""
    edit_item(code, "vendors", key, _fields(company, manages, contact, email, phone))


add_remove_command(app, "vendors", "Remove a vendor (only when no line or device refers to it).")
