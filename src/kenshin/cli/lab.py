"""``kenshin lab``: start, show and stop the test lab (the demo's virtual hospital edge)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from kenshin.cli._common import print_json, say
from kenshin.cli._options import JsonOpt
from kenshin.cli._state import console
from kenshin.lab import (
    LabError,
    cleanup_stale,
    profile_names,
    running_labs,
    start_detached,
    stop_detached,
)

app = typer.Typer(
    no_args_is_help=True,
)


def _table(labs: list[dict[str, Any]]) -> Table:
    table = Table("slot", "profile", "pid", "host", "address", "services")
    for state in labs:
        by_address: dict[str, list[str]] = {}
        for service in state.get("services", []):
            entry = f"{service['port']}/{service['protocol']} {service['service']}"
            by_address.setdefault(service["address"], []).append(entry)
        for role, address in state.get("hosts", {}).items():
            table.add_row(
                str(state.get("slot")),
                str(state.get("profile")),
                str(state.get("pid")),
                role,
                address,
                ", ".join(by_address.get(address, [])),
            )
    return table


@app.command("up")
def up(
    profile: Annotated[str, typer.Option("--profile")] = "demo",
    json: JsonOpt = False,
) -> None:
    """Start a lab in the background (needs root); it runs until 'kenshin lab down'."""
    if profile not in profile_names():
        raise LabError("lab.unknown_profile", name=profile, known=", ".join(profile_names()))
    state = start_detached(profile)
    if json:
        print_json(state)
        return
    say("lab.up_started", profile=profile, slot=state["slot"], pid=state["pid"])
    console.print(_table([state]))
    if state.get("missing"):
        say("lab.missing_services", names=", ".join(state["missing"]))


@app.command("status")
def status(json: JsonOpt = False) -> None:
    """Show the running labs: hosts, addresses and services."""
    labs = running_labs()
    if json:
        print_json(labs)
        return
    if not labs:
        say("lab.none_running")
        return
    console.print(_table(labs))


@app.command("down")
def down(
    slot: Annotated[str | None, typer.Option("--slot")] = None,
) -> None:
    """Stop the labs 'kenshin lab up' started and remove their namespaces."""
    stopped = stop_detached(slot)
    removed = cleanup_stale()
    if not stopped and not removed:
        say("lab.none_running")
    for state in stopped:
        say("lab.down_done", slot=state["slot"], pid=state["pid"])
    if removed:
        say("lab.stale_removed", names=", ".join(removed))
