"""``kenshin point``: add, edit and remove external connection points."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Annotated, Any

import typer

from kenshin.cli._common import (
    CliError,
    add_item,
    choice,
    edit_item,
    holder_option,
    remove_item,
    say,
)
from kenshin.domain import AddressAssignment, ConnectionKind

app = typer.Typer(help="外部接続点 / external connection points.", no_args_is_help=True)

CodeArg = Annotated[str, typer.Argument(help="Engagement code.")]
KeyArg = Annotated[str, typer.Argument(help="Connection point key, e.g. CP-01.")]
NameOpt = Annotated[str | None, typer.Option(help="Name, e.g. インターネット回線（本館）.")]
KindOpt = Annotated[
    str | None,
    typer.Option(help="internet, remote_maintenance, closed_network, vpn, wireless, other."),
]
ScopeOpt = Annotated[
    bool | None, typer.Option("--in-scope/--out-of-scope", help="In the EHR scope?")
]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why it is out of scope.")]
InternetOpt = Annotated[
    bool | None, typer.Option("--internet/--no-internet", help="Reachable from the internet?")
]
CarrierOpt = Annotated[str | None, typer.Option(help="Carrier / ISP.")]
HolderOpt = Annotated[
    str | None, typer.Option("--holder", help="hospital, vendor:KEY or other:NAME.")
]
AddressOpt = Annotated[
    list[str] | None,
    typer.Option("--address", help="ADDRESS[:fixed|dynamic|unknown]; repeat for several."),
]


def _addresses(values: list[str] | None) -> list[dict[str, Any]] | None:
    if values is None:
        return None
    result = []
    for value in values:
        text, assignment = value, AddressAssignment.UNKNOWN
        for member in AddressAssignment:
            if value.endswith(f":{member.value}"):
                text, assignment = value[: -len(member.value) - 1], member
        try:
            ip_address(text)
        except ValueError:
            raise CliError("cli.bad_address", value=value) from None
        result.append({"address": text, "assignment": assignment.value})
    return result


@app.command("add")
def add(
    code: CodeArg,
    key: KeyArg,
    name: Annotated[str, typer.Option(help="Name, e.g. インターネット回線（本館）.")],
    kind: Annotated[
        str,
        typer.Option(help="internet, remote_maintenance, closed_network, vpn, wireless, other."),
    ],
    in_scope: Annotated[
        bool, typer.Option("--in-scope/--out-of-scope", help="In the EHR scope?")
    ] = True,
    reason: ReasonOpt = None,
    internet: InternetOpt = None,
    carrier: CarrierOpt = None,
    holder: HolderOpt = None,
    address: AddressOpt = None,
) -> None:
    """Add a connection point (a line into, or beside, the EHR network)."""
    point_kind = choice(ConnectionKind, kind)
    item: dict[str, Any] = {
        "key": key,
        "name": name,
        "kind": point_kind.value,
        "in_ehr_scope": in_scope,
        "internet_reachable": internet
        if internet is not None
        else point_kind
        in (ConnectionKind.INTERNET, ConnectionKind.REMOTE_MAINTENANCE, ConnectionKind.VPN),
        "scope_reason": reason or "",
        "carrier": carrier or "",
        "contract_holder": holder_option(holder) or {"kind": "hospital"},
        "addresses": _addresses(address) or [],
    }
    add_item(code, "connection_points", item)
    say("cli.saved", key=key, code=code)


@app.command("edit")
def edit(
    code: CodeArg,
    key: KeyArg,
    name: NameOpt = None,
    kind: KindOpt = None,
    in_scope: ScopeOpt = None,
    reason: ReasonOpt = None,
    internet: InternetOpt = None,
    carrier: CarrierOpt = None,
    holder: HolderOpt = None,
    address: AddressOpt = None,
) -> None:
    """Change a connection point; options not given stay as they are (--address replaces all)."""
    changes = {
        "name": name,
        "kind": choice(ConnectionKind, kind).value if kind else None,
        "in_ehr_scope": in_scope,
        "scope_reason": reason,
        "internet_reachable": internet,
        "carrier": carrier,
        "contract_holder": holder_option(holder),
        "addresses": _addresses(address),
    }
    edit_item(code, "connection_points", key, changes)
    say("cli.saved", key=key, code=code)


@app.command("remove")
def remove(code: CodeArg, key: KeyArg) -> None:
    """Remove a connection point."""
    remove_item(code, "connection_points", key)
    say("cli.removed", key=key, code=code)
