"""The ``kenshin`` command line: one Typer app, one sub-app module per concern.

Each command module exposes ``app`` (a ``typer.Typer``) and is listed in
``_COMMAND_GROUPS``; adding a group touches that module and one line here.
Errors from any room arrive as ``KenshinError`` and leave as one sentence in the
user's language with a non-zero exit code; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperOption

from kenshin import __version__
from kenshin.cli._state import STATE, configure_output, err_console
from kenshin.errors import KenshinError
from kenshin.i18n import resolve_lang

# (module under kenshin.cli, command name)
_COMMAND_GROUPS: list[tuple[str, str]] = [
    ("db", "db"),
    ("engagement", "engagement"),
    ("points", "point"),
    ("devices", "device"),
    ("vendors", "vendor"),
    ("terminals", "terminal"),
    ("firmware", "firmware"),
    ("vulndb", "vulndb"),
    ("imports", "import"),
    ("lab", "lab"),
    ("diagram", "diagram"),
    ("hearing", "hearing"),
    ("requests", "requests"),
    ("targets", "targets"),
    ("vault", "vault"),
    ("web", "user"),
    ("jobs", "jobs"),
]
# Single commands: (module under kenshin.cli, attribute holding the function, command name)
_COMMANDS: list[tuple[str, str, str]] = [
    ("demo", "demo", "demo"),
    ("scan", "scan", "scan"),
    ("scan", "scan_stop", "scan-stop"),
    ("scan", "scan_runs", "scan-runs"),
    ("diagnose", "diagnose_command", "diagnose"),
    ("web", "serve", "serve"),
    ("report", "report", "report"),
    ("worker", "worker", "worker"),
    ("identify", "identify", "identify"),
]

_typer_option_type = TyperOption.display_type_rich


def _flag_without_type(self: TyperOption, ctx: Any) -> str | None:
    """An on/off flag takes no value, so help shows no type for it (Typer 0.29 shows
    ``<bool>``, which reads as if ``--json`` wanted an argument)."""
    if self.is_bool_flag or self.count:
        return None
    return _typer_option_type(self, ctx)


TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign]

app = typer.Typer(
    name="kenshin",
    help="kenshin (健診): 医療機関の外部接続点と端末のセキュリティ健診 / "
    "security check-up of a hospital's external connection points and terminals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kenshin {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db", envvar="KENSHIN_DB_URL", help="Database URL (SQLite file by default)."
        ),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="ja (default) or en.", envvar="KENSHIN_LANG")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    STATE.db_url = db
    STATE.lang = resolve_lang(lang)
    STATE.debug = debug
    configure_output()


for _module, _name in _COMMAND_GROUPS:
    app.add_typer(importlib.import_module(f"kenshin.cli.{_module}").app, name=_name)
for _module, _attr, _name in _COMMANDS:
    app.command(_name)(getattr(importlib.import_module(f"kenshin.cli.{_module}"), _attr))


def _configure_pipeline() -> None:
    """Plug identification and the diagnosis checks into the scan engine."""
    from kenshin.pipeline import configure

    configure(STATE.store)


def main() -> None:
    """Console-script entry point."""
    _configure_pipeline()
    configure_output()
    try:
        app(standalone_mode=True)
    except KenshinError as exc:
        if STATE.debug:
            raise
        err_console.print(f"[bold red]{STATE.t('cli.error')}[/]: {exc.message(STATE.lang)}")
        sys.exit(2)
    except Exception as exc:  # a bug: still one sentence, the traceback only on request
        if STATE.debug:
            raise
        err_console.print(
            f"[bold red]{STATE.t('cli.error')}[/]: "
            f"{STATE.t('cli.unexpected', kind=type(exc).__name__, detail=str(exc))}"
        )
        sys.exit(3)
    finally:
        if STATE._store is not None:
            STATE._store.dispose()
