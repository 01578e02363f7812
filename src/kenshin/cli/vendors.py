"""``kenshin vendor``: the companies that manage lines and devices."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kenshin.cli._common import add_item, edit_item, remove_item, say

app = typer.Typer(no_args_is_help=True)

CodeArg = Annotated[str, typer.Argument()]
KeyArg = Annotated[str, typer.Argument()]
Opt = Annotated[str | None, typer.Option()]


def _contact(name: str | None, email: str | None, phone: str | None) -> list[dict[str, Any]] | None:
    if name is None:
        return None
    return [{k: v for k, v in (("name", name), ("email", email), ("phone", phone)) if v}]


@app.command("add")
def add(
    code: CodeArg,
    key: KeyArg,
    company: Annotated[str, typer.Option()],
    manages: Opt = None,
    contact: Annotated[str | None, typer.Option()] = None,
    email: Opt = None,
    phone: Opt = None,
) -> None:
    """Add a vendor."""
    item: dict[str, Any] = {"key": key, "company": company, "manages": manages or ""}
    contacts = _contact(contact, email, phone)
    if contacts:
        item["contacts"] = contacts
    add_item(code, "vendors", item)
    say("cli.saved", key=key, code=code)


@app.command("edit")
def edit(
    code: CodeArg,
    key: KeyArg,
    company: Opt = None,
    manages: Opt = None,
    contact: Annotated[str | None, typer.Option()] = None,
    email: Opt = None,
    phone: Opt = None,
) -> None:
    """Change a vendor; options not given stay as they are."""
    edit_item(
        code,
        "vendors",
        key,
        {"company": company, "manages": manages, "contacts": _contact(contact, email, phone)},
    )
    say("cli.saved", key=key, code=code)


@app.command("remove")
def remove(code: CodeArg, key: KeyArg) -> None:
    """Remove a vendor (only when no line or device refers to it)."""
    remove_item(code, "vendors", key)
    say("cli.removed", key=key, code=code)
