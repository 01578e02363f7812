"""``kenshin point``: add, edit and remove external connection points."""

from __future__ import annotations

from functools import partial
from typing import Any

import typer

from kenshin.cli._common import (
    ItemCommands,
    ItemOption,
    add_item_commands,
    choice_value,
    holder_option,
)
from kenshin.domain import ConnectionKind
from kenshin.inventory import parse_address, with_point_defaults

app = typer.Typer(no_args_is_help=True)


def _addresses(values: list[str]) -> list[dict[str, Any]]:
    return [parse_address(value) for value in values]


POINT_COMMANDS = ItemCommands(
    section="connection_points",
    options=(
        ItemOption("name", required=True),
        ItemOption("kind", parse=partial(choice_value, ConnectionKind), required=True),
        # add: in scope unless --out-of-scope; edit: unchanged unless either flag is given
        ItemOption(
            "in_scope",
            "in_ehr_scope",
            value_type=bool,
            add_default=True,
            flags=("--in-scope/--out-of-scope",),
        ),
        ItemOption("reason", "scope_reason"),
        ItemOption(
            "internet", "internet_reachable", value_type=bool, flags=("--internet/--no-internet",)
        ),
        ItemOption("carrier"),
        ItemOption("holder", "contract_holder", parse=holder_option),
        ItemOption("address", "addresses", value_type=list[str], parse=_addresses),
    ),
    add_help="Add a connection point (a line into, or beside, the EHR network).",
    edit_help=(
        "Change a connection point; options not given stay as they are.\n\n"
        "--address replaces the list; an address given again keeps its confirmations."
    ),
    remove_help="Remove a connection point.",
    new_item=with_point_defaults,
)
add_item_commands(app, POINT_COMMANDS)
