"""``kenshin device``: add, edit and remove routers, UTMs, firewalls and VPN gateways."""

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
from kenshin.domain import DeviceRole, VersionSource

app = typer.Typer(no_args_is_help=True)

PointsOpt = Annotated[list[str] | None, typer.Option("--point")]


def _fields(
    name: str | None,
    role: str | None,
    vendor: str | None,
    model: str | None,
    firmware: str | None,
    source: str | None,
    unavailable: str | None,
    point: list[str] | None,
    managed_by: str | None,
    notes: str | None,
) -> dict[str, Any]:
    """The device document's fields from the options, as both ``add`` and ``edit`` take them."""
    return {
        "name": name,
        "role": choice_value(DeviceRole, role),
        "vendor": vendor,
        "model": model,
        "firmware_version": firmware,
        "version_source": choice_value(VersionSource, source),
        "version_unavailable_reason": unavailable,
        "connection_points": point,
        "managed_by": holder_option(managed_by),
        "notes": notes,
    }


@app.command("add")
def add(
    code: CodeArg,
    key: KeyArg,
    name: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option()],
    vendor: Opt = None,
    model: Opt = None,
    firmware: Opt = None,
    source: Opt = None,
    unavailable: Opt = None,
    point: PointsOpt = None,
    managed_by: Opt = None,
    notes: Opt = None,
) -> None:
    """Add a device."""
    add_item(
        code,
        "devices",
        key,
        _fields(name, role, vendor, model, firmware, source, unavailable, point, managed_by, notes),
    )


@app.command("edit")
def edit(
    code: CodeArg,
    key: KeyArg,
    name: Opt = None,
    role: Opt = None,
    vendor: Opt = None,
    model: Opt = None,
    firmware: Opt = None,
    source: Opt = None,
    unavailable: Opt = None,
    point: PointsOpt = None,
    managed_by: Opt = None,
    notes: Opt = None,
) -> None:
    """Change a device; options not given stay as they are."""
    edit_item(
        code,
        "devices",
        key,
        _fields(name, role, vendor, model, firmware, source, unavailable, point, managed_by, notes),
    )


add_remove_command(app, "devices", "Remove a device.")
