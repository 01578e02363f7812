"""``kenshin point``: add, edit and remove external connection points."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kenshin.cli._common import (
    add_item,
    add_remove_command,
    choice_value,
    edit_item,
    holder_option,
)
from kenshin.cli._options import CodeArg, KeyArg, Opt
from kenshin.domain import ConnectionKind
from kenshin.inventory import parse_address, with_point_defaults

app = typer.Typer(no_args_is_help=True)

ScopeOpt = Annotated[bool | None, typer.Option("--in-scope/--out-of-scope")]
ReasonOpt = Annotated[str | None, typer.Option("--reason")]
InternetOpt = Annotated[bool | None, typer.Option("--internet/--no-internet")]
HolderOpt = Annotated[str | None, typer.Option("--holder")]
AddressOpt = Annotated[
    list[str] | None,
    typer.Option("--address"),
]


def _fields(
    name: str | None,
    kind: str | None,
    in_scope: bool | None,
    reason: str | None,
    internet: bool | None,
    carrier: str | None,
    holder: str | None,
    address: list[str] | None,
) -> dict[str, Any]:
    """The connection point document's fields from the options, as both ``add`` and
    ``edit`` take them."""
    return {
        "name": name,
        "kind": choice_value(ConnectionKind, kind),
        "in_ehr_scope": in_scope,
        "scope_reason": reason,
        "internet_reachable": internet,
        "carrier": carrier,
        "contract_holder": holder_option(holder),
        "addresses": None if address is None else [parse_address(value) for value in address],
    }


@app.command("add")
def add(
    code: CodeArg,
    key: KeyArg,
    name: Annotated[str, typer.Option()],
    kind: Annotated[
        str,
        typer.Option(),
    ],
    in_scope: Annotated[bool, typer.Option("--in-scope/--out-of-scope")] = True,
    reason: ReasonOpt = None,
    internet: InternetOpt = None,
    carrier: Opt = None,
    holder: HolderOpt = None,
    address: AddressOpt = None,
) -> None:
    """Add a connection point (a line into, or beside, the EHR network)."""
    fields = _fields(name, kind, in_scope, reason, internet, carrier, holder, address)
    add_item(code, "connection_points", key, with_point_defaults(fields))


@app.command("edit")
def edit(
    code: CodeArg,
    key: KeyArg,
    name: Opt = None,
    kind: Opt = None,
    in_scope: ScopeOpt = None,
    reason: ReasonOpt = None,
    internet: InternetOpt = None,
    carrier: Opt = None,
    holder: HolderOpt = None,
    address: AddressOpt = None,
) -> None:
    """Change a connection point; options not given stay as they are.

    --address replaces the list; an address given again keeps its confirmations.
    """
    fields = _fields(name, kind, in_scope, reason, internet, carrier, holder, address)
    edit_item(code, "connection_points", key, fields)


add_remove_command(app, "connection_points", "Remove a connection point.")
