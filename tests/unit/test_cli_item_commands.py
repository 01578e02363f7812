"""The inventory sections' ``add`` and ``edit`` commands, both built from one table of options:
the same options on both (all optional on ``edit``), and the same stored fields as before."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import typer
from typer.core import TyperCommand

from kenshin.cli._common import ItemCommands, ItemOption, add_item_commands

# (module under kenshin.cli, its table)
_TABLES = [
    ("devices", "DEVICE_COMMANDS"),
    ("points", "POINT_COMMANDS"),
    ("vendors", "VENDOR_COMMANDS"),
    ("terminals", "TERMINAL_COMMANDS"),
]


def _commands(app: typer.Typer) -> dict[str, TyperCommand]:
    group: Any = typer.main.get_command(app)
    return dict(group.commands)


def _problems(add: TyperCommand, edit: TyperCommand, table: ItemCommands) -> list[str]:
    """What differs between the two commands and the table (empty when they agree)."""
    problems: list[str] = []
    wanted = ["code", "key", *(option.name for option in table.options)]
    for command in (add, edit):
        names = [param.name for param in command.params]
        if names != wanted:
            problems.append(f"{command.name}: {names} != {wanted}")
    add_options = {param.name: param for param in add.params}
    for param in edit.params:
        if param.name in ("code", "key"):
            continue
        if param.required or param.default is not None:
            problems.append(f"edit --{param.name} is not optional")
        same = add_options.get(param.name)
        if same is None or (same.opts, same.secondary_opts) != (param.opts, param.secondary_opts):
            problems.append(f"--{param.name} is spelt differently on add and edit")
    required = {option.name for option in table.options if option.required}
    on_add = {param.name for param in add.params if param.required} - {"code", "key"}
    if on_add != required:
        problems.append(f"add requires {sorted(on_add)}, the table {sorted(required)}")
    return problems


@pytest.mark.parametrize(("module", "attribute"), _TABLES)
def test_add_and_edit_take_the_same_options_from_one_table(module: str, attribute: str) -> None:
    loaded = importlib.import_module(f"kenshin.cli.{module}")
    table: ItemCommands = getattr(loaded, attribute)
    commands = _commands(loaded.app)
    assert _problems(commands["add"], commands["edit"], table) == []
    assert [p.name for p in commands["remove"].params] == ["code", "key"]


def test_a_table_entry_missing_from_one_command_is_caught() -> None:
    """The check above fails when ``edit`` lacks one of the table's options."""
    table = ItemCommands(
        section="vendors",
        options=(ItemOption("company", required=True), ItemOption("manages")),
        add_help="Add.",
        edit_help="Edit.",
        remove_help="Remove.",
    )
    shorter = ItemCommands(
        section="vendors",
        options=table.options[:1],
        add_help="Add.",
        edit_help="Edit.",
        remove_help="Remove.",
    )
    full, short = typer.Typer(), typer.Typer()
    add_item_commands(full, table)
    add_item_commands(short, shorter)
    assert _problems(_commands(full)["add"], _commands(full)["edit"], table) == []
    problems = _problems(_commands(full)["add"], _commands(short)["edit"], table)
    assert problems
    assert "edit" in problems[0]


def test_points_add_is_in_scope_by_default_and_edit_leaves_it() -> None:
    from kenshin.cli.points import app

    commands = _commands(app)
    add_scope = next(p for p in commands["add"].params if p.name == "in_scope")
    edit_scope = next(p for p in commands["edit"].params if p.name == "in_scope")
    assert (add_scope.default, edit_scope.default) == (True, None)
    assert add_scope.opts == edit_scope.opts == ["--in-scope"]
    assert add_scope.secondary_opts == ["--out-of-scope"]


def _values(table: ItemCommands, **given: Any) -> dict[str, Any]:
    return {"code": "c", "key": "k", **dict.fromkeys(o.name for o in table.options), **given}


def test_options_map_into_the_documents_fields() -> None:
    from kenshin.cli.devices import DEVICE_COMMANDS
    from kenshin.cli.points import POINT_COMMANDS
    from kenshin.cli.terminals import TERMINAL_COMMANDS
    from kenshin.cli.vendors import VENDOR_COMMANDS

    device = _values(
        DEVICE_COMMANDS,
        name="UTM",
        role="utm",
        firmware="7.2",
        source="onsite",
        unavailable="-",
        point=["CP-01"],
        managed_by="vendor:V-NET",
    )
    assert DEVICE_COMMANDS.fields(device) == {
        "name": "UTM",
        "role": "utm",
        "vendor": None,
        "model": None,
        "firmware_version": "7.2",
        "version_source": "onsite",
        "version_unavailable_reason": "-",
        "connection_points": ["CP-01"],
        "managed_by": {"kind": "vendor", "vendor": "V-NET"},
        "notes": None,
    }
    point = _values(POINT_COMMANDS, kind="vpn", in_scope=False, address=["192.0.2.1:fixed"])
    assert POINT_COMMANDS.fields(point) == {
        "name": None,
        "kind": "vpn",
        "in_ehr_scope": False,
        "scope_reason": None,
        "internet_reachable": None,
        "carrier": None,
        "contract_holder": None,
        "addresses": [{"address": "192.0.2.1", "assignment": "fixed"}],
    }
    vendor = _values(VENDOR_COMMANDS, company="見本商事", contact="山田", phone="03")
    assert VENDOR_COMMANDS.fields(vendor) == {
        "company": "見本商事",
        "manages": None,
        "contacts": [{"name": "山田", "phone": "03"}],
    }
    assert TERMINAL_COMMANDS.fields(_values(TERMINAL_COMMANDS, role="ehr")) == {
        "hostname": None,
        "role": "ehr",
        "system": None,
        "location": None,
    }
    for table in (DEVICE_COMMANDS, POINT_COMMANDS, VENDOR_COMMANDS, TERMINAL_COMMANDS):
        assert set(table.fields(_values(table)).values()) == {None}  # edit: nothing changes
