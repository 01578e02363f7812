"""Helpers the command modules share: loading, saving and JSON output."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from kenshin.cli._options import CodeArg, KeyArg
from kenshin.cli._state import STATE, console
from kenshin.errors import KenshinError
from kenshin.store.schema import StoreError

if TYPE_CHECKING:  # imported where used: reading an engagement needs neither
    from kenshin.domain import Engagement

E = TypeVar("E", bound=Enum)


class CliError(KenshinError):
    """A command was called with options that do not make sense."""


def json_default(value: object) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, IPv4Address | IPv6Address):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=json_default))


def json_or_empty(as_json: bool, documents: list[Any], none_key: str) -> bool:
    """Print a listing as JSON, or say it is empty: True when no table is left to print."""
    if as_json:
        print_json(documents)
        return True
    if not documents:
        say(none_key)
        return True
    return False


def choice(enum: type[E], value: str) -> E:
    """An enum member from its value, or a clear error listing the allowed values."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum)
        raise CliError("cli.bad_choice", value=value, allowed=allowed) from None


def choice_value(enum: type[E], value: str | None) -> str | None:
    """An enum option's value as the engagement file writes it, or None when the option
    was not given (an empty value is refused like any other unknown one)."""
    return None if value is None else str(choice(enum, value).value)


def load(code: str) -> Engagement:
    from kenshin.store import reading

    with STATE.reader() as fetch:
        found = reading.engagement(fetch, code)
    if found is None:
        raise StoreError("store.no_engagement", code=code)
    return found


def say(message_key: str, **params: object) -> None:
    console.print(STATE.t(message_key, **params))


def add_item(code: str, section: str, key: str, fields: dict[str, Any]) -> None:
    """Add one item (a connection point, device, ...) to an engagement section and say so.

    ``fields`` are the same as ``edit_item`` takes: a field given as None is left out, so
    the engagement file's default fills it in.
    """
    from kenshin import inventory

    item = {"key": key, **{k: v for k, v in fields.items() if v is not None}}
    with STATE.store().session() as session:
        inventory.add_item(session, code, section, item)
    say("cli.saved", key=item["key"], code=code)


def edit_item(code: str, section: str, key: str, changes: dict[str, Any]) -> None:
    """Change the given fields of one item and say so; fields given as None stay as they are."""
    from kenshin import inventory

    with STATE.store().session() as session:
        inventory.edit_item(session, code, section, key, changes)
    say("cli.saved", key=key, code=code)


def add_remove_command(app: typer.Typer, section: str, help_text: str) -> None:
    """Give ``app`` its ``remove CODE KEY`` command: every inventory section removes alike."""

    def remove(code: CodeArg, key: KeyArg) -> None:
        from kenshin import inventory

        with STATE.store().session() as session:
            inventory.remove_item(session, code, section, key)
        say("cli.removed", key=key, code=code)

    remove.__doc__ = help_text
    app.command("remove")(remove)


def holder_option(value: str | None) -> dict[str, Any] | None:
    """``hospital``, ``vendor:KEY`` or ``other:NAME`` as a holder document."""
    from kenshin import inventory

    return None if value is None else inventory.parse_holder(value)


@dataclass(frozen=True)
class ItemOption:
    """One option of an inventory section's ``add`` and ``edit`` commands, declared once.

    ``edit`` takes every option as optional (not given: the field stays as it is); ``add``
    requires the ``required`` ones and gives the others ``add_default``. ``field`` is the
    document field the option fills ("" for one named like the option, None for one only
    ``ItemCommands.derive`` reads); ``parse`` turns a given value into the stored one.
    """

    name: str
    field: str | None = ""
    value_type: Any = str
    parse: Callable[[Any], Any] | None = None
    required: bool = False
    add_default: Any = None
    flags: tuple[str, ...] = ()

    def parameter(self, on_add: bool) -> inspect.Parameter:
        """The command parameter Typer reads this option from, for ``add`` or ``edit``."""
        option = typer.Option(*self.flags)
        annotated: Any = Annotated  # built at run time, which mypy cannot check as a type
        if on_add and self.required:
            return _keyword(self.name, annotated[self.value_type, option])
        if on_add and self.add_default is not None:
            return _keyword(self.name, annotated[self.value_type, option], self.add_default)
        return _keyword(self.name, annotated[self.value_type | None, option], None)


def _keyword(
    name: str, annotation: Any, default: Any = inspect.Parameter.empty
) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


@dataclass(frozen=True)
class ItemCommands:
    """An inventory section's ``add``, ``edit`` and ``remove`` commands: its options once,
    and the command help that each command's docstring carries."""

    section: str
    options: tuple[ItemOption, ...]
    add_help: str
    edit_help: str
    remove_help: str
    derive: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    """Fields made from several options (after the options' own fields)."""
    new_item: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """What ``add`` does to the fields before storing them (a new item's defaults)."""

    def fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The document's fields from the options' values, as ``add`` and ``edit`` take them."""
        fields: dict[str, Any] = {}
        for option in self.options:
            if option.field is None:
                continue
            value = values[option.name]
            if value is not None and option.parse is not None:
                value = option.parse(value)
            fields[option.field or option.name] = value
        if self.derive is not None:
            fields.update(self.derive(values))
        return fields


def add_item_commands(app: typer.Typer, commands: ItemCommands) -> None:
    """Give ``app`` the ``add``, ``edit`` and ``remove`` commands of one inventory section,
    both ``add`` and ``edit`` built from the one table of its options."""

    def add(**values: Any) -> None:
        fields = commands.fields(values)
        if commands.new_item is not None:
            fields = commands.new_item(fields)
        add_item(values["code"], commands.section, values["key"], fields)

    def edit(**values: Any) -> None:
        edit_item(values["code"], commands.section, values["key"], commands.fields(values))

    for command, on_add, help_text in (
        (add, True, commands.add_help),
        (edit, False, commands.edit_help),
    ):
        command.__doc__ = help_text
        command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(
                    "code", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=CodeArg
                ),
                inspect.Parameter(
                    "key", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=KeyArg
                ),
                *(option.parameter(on_add) for option in commands.options),
            ],
            return_annotation=None,
        )
        app.command(command.__name__)(command)
    add_remove_command(app, commands.section, commands.remove_help)
