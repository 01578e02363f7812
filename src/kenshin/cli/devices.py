"""``kenshin device``: add, edit and remove routers, UTMs, firewalls and VPN gateways."""

from __future__ import annotations

from functools import partial

import typer

from kenshin.cli._common import (
    ItemCommands,
    ItemOption,
    add_item_commands,
    choice_value,
    holder_option,
)
from kenshin.domain import DeviceRole, VersionSource

app = typer.Typer(no_args_is_help=True)

DEVICE_COMMANDS = ItemCommands(
    section="devices",
    options=(
        ItemOption("name", required=True),
        ItemOption("role", parse=partial(choice_value, DeviceRole), required=True),
        ItemOption("vendor"),
        ItemOption("model"),
        ItemOption("firmware", "firmware_version"),
        ItemOption("source", "version_source", parse=partial(choice_value, VersionSource)),
        ItemOption("unavailable", "version_unavailable_reason"),
        ItemOption("point", "connection_points", value_type=list[str]),
        ItemOption("managed_by", parse=holder_option),
        ItemOption("notes"),
    ),
    add_help="Add a device.",
    edit_help="Change a device; options not given stay as they are.",
    remove_help="Remove a device.",
)
add_item_commands(app, DEVICE_COMMANDS)
