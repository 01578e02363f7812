"""``kenshin terminal``: the Windows terminals chosen for the terminal survey."""

from __future__ import annotations

from typing import Annotated

import typer

from kenshin.cli._common import add_item, choice, edit_item, remove_item, say
from kenshin.domain import TerminalRole

app = typer.Typer(help="端末調査 / terminal survey.", no_args_is_help=True)

CodeArg = Annotated[str, typer.Argument(help="Engagement code.")]
KeyArg = Annotated[str, typer.Argument(help="Terminal key, e.g. T-01.")]
Opt = Annotated[str | None, typer.Option()]
RoleHelp = "ehr, departmental, other."


@app.command("add")
def add(
    code: CodeArg,
    key: KeyArg,
    hostname: Annotated[str, typer.Option(help="Windows computer name.")],
    role: Annotated[str, typer.Option(help=RoleHelp)],
    system: Opt = None,
    location: Opt = None,
) -> None:
    """Add a terminal to audit (refused beyond the engagement's terminal limit)."""
    item = {
        "key": key,
        "hostname": hostname,
        "role": choice(TerminalRole, role).value,
        "system": system or "",
        "location": location or "",
    }
    add_item(code, "terminals", item)
    say("cli.saved", key=key, code=code)


@app.command("edit")
def edit(
    code: CodeArg,
    key: KeyArg,
    hostname: Opt = None,
    role: Annotated[str | None, typer.Option(help=RoleHelp)] = None,
    system: Opt = None,
    location: Opt = None,
) -> None:
    """Change a terminal; options not given stay as they are."""
    edit_item(
        code,
        "terminals",
        key,
        {
            "hostname": hostname,
            "role": choice(TerminalRole, role).value if role else None,
            "system": system,
            "location": location,
        },
    )
    say("cli.saved", key=key, code=code)


@app.command("remove")
def remove(code: CodeArg, key: KeyArg) -> None:
    """Remove a terminal."""
    remove_item(code, "terminals", key)
    say("cli.removed", key=key, code=code)
