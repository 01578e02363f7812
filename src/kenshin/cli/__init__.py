"""The ``kenshin`` command line: one Typer app, one sub-app module per concern.

Each command module exposes ``app`` (a ``typer.Typer``) and is listed in
``_COMMAND_GROUPS``; adding a group touches that module, one line here and its one-line
help in data/i18n/cli_help.yaml. Every help text the user reads (each command's, each
option's and argument's, the examples) comes from that catalogue, keyed by command path
and parameter name (``cli.cmd.engagement.show``, ``cli.opt.engagement.show.code``,
``cli.ex.engagement.show``), so the modules pass no ``help=`` (a command's docstring is
for the reader of the code), and tests/unit/test_cli_help.py fails when a command or
parameter has no Japanese and English entry. A command module is imported only when its command runs
(or its own help is asked for), so ``kenshin --help`` and ``kenshin engagement list`` do
not pay for the scan engine, the report renderer or the web application.
Errors from any room arrive as ``KenshinError`` and leave as one sentence in the
user's language with a non-zero exit code; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from typer._click.exceptions import ClickException, MissingParameter, NoSuchOption, UsageError
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.exceptions import Abort

from kenshin import __version__
from kenshin.cli._state import STATE, configure_output, err_console
from kenshin.errors import KenshinError
from kenshin.i18n import catalogue, resolve_lang, translate

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

# Typer's own words on a help page and around a usage error: typer.rich_utils names the
# ones it prints as module constants, its documented way to change them (-> catalogue keys).
_TYPER_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": "cli.typer.arguments",
    "OPTIONS_PANEL_TITLE": "cli.typer.options",
    "COMMANDS_PANEL_TITLE": "cli.typer.commands",
    "REQUIRED_LONG_STRING": "cli.typer.required",
    "DEFAULT_STRING": "cli.typer.default",
    "ENVVAR_STRING": "cli.typer.envvar",
    "ERRORS_PANEL_TITLE": "cli.typer.error",
    "ABORTED_TEXT": "cli.typer.aborted",
    "RICH_HELP": "cli.typer.try_help",
}


def _typer_in_help_language() -> None:
    """Set Typer's words in the help language; rich_utils is imported here, only when help
    or a usage error is really shown."""
    from typer import rich_utils

    lang = _help_lang()
    for name, key in _TYPER_TEXTS.items():
        setattr(rich_utils, name, translate(key, lang))


def _format_usage(self: Any, ctx: Any, formatter: Any) -> None:
    """Click's usage line with its ``Usage:`` in the help language (``write_usage``'s
    ``prefix`` is Click's hook for it)."""
    prefix = translate("cli.typer.usage", _help_lang()) + " "
    formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix)


TyperCommand.format_usage = _format_usage  # type: ignore[method-assign]
TyperGroup.format_usage = _format_usage  # type: ignore[method-assign]


def _in_help_language(render: Any) -> Any:
    """Wrap a ``format_help`` so Typer's own words (panel titles, ``[required]``, the
    ``--help`` line, the completion options) are in the help's language too."""

    def format_help(self: Any, ctx: Any, formatter: Any) -> Any:
        _typer_in_help_language()
        lang = _help_lang()
        option = self.get_help_option(ctx)
        if option is not None:
            option.help = translate("cli.typer.help", lang)
        if ctx.parent is None:  # the root: --install-completion, --show-completion
            for param in self.params:
                if f"cli.opt.root.{param.name}" in catalogue():
                    param.help = translate(f"cli.opt.root.{param.name}", lang)
        return render(self, ctx, formatter)

    return format_help


TyperCommand.format_help = _in_help_language(TyperCommand.format_help)  # type: ignore[method-assign]
TyperGroup.format_help = _in_help_language(TyperGroup.format_help)  # type: ignore[method-assign]

# Commands that never run the scan engine or a job: no need to plug the pipeline in.
_LIGHT = {"engagement", "db", "point", "device", "vendor", "hearing", "user", "vault", "diagram"}


def _help_lang() -> str:
    """The language of help text, known before any option is parsed (``--help`` is eager):
    ``--lang X`` / ``--lang=X`` on the command line, else ``KENSHIN_LANG``, else Japanese."""
    argv = sys.argv[1:]
    for index, arg in enumerate(argv):
        if arg.startswith("--lang="):
            return resolve_lang(arg.split("=", 1)[1])
        if arg == "--lang" and index + 1 < len(argv):
            return resolve_lang(argv[index + 1])
    return resolve_lang(None)


def help_key(path: list[str], param: str | None = None) -> str:
    """The catalogue key of a command's help (``cli.cmd.engagement.show``) or of one of
    its parameters (``cli.opt.engagement.show.code``); a top-level command's own help is
    its one-line ``cli.help.<name>`` so the root list and its page agree."""
    if param is not None:
        return "cli.opt." + ".".join([*path, param])
    if len(path) == 1:
        return f"cli.help.{path[0]}"
    return "cli.cmd." + ".".join(path)


def example_key(path: list[str]) -> str:
    """The catalogue key of a command's copy-able examples (one command per line)."""
    return "cli.ex." + ".".join(path)


def localise(command: Any, path: list[str], lang: str) -> Any:
    """Put the catalogue's help on ``command``, its parameters and its subcommands, in
    ``lang``: one place (data/i18n/cli_help.yaml) holds every help text of the command line,
    so nothing stays English-only when Japanese is asked for."""
    messages = catalogue()
    key = help_key(path)
    if key in messages:
        text = translate(key, lang)
        examples = messages.get(example_key(path))
        if examples:
            lines = translate(example_key(path), lang).splitlines()
            label = translate("cli.ex.label", lang)
            text += "\n\n" + label + "\n\n" + "\n\n".join(f"  {line}" for line in lines)
        command.help = text
        command.short_help = translate(key, lang).split("\n", 1)[0]
    for param in command.params:
        param_key = help_key(path, param.name)
        if param_key in messages and hasattr(param, "help"):
            param.help = translate(param_key, lang)
    for name, sub in getattr(command, "commands", {}).items():
        localise(sub, [*path, name], lang)
    return command


def _load(name: str) -> Any:
    """The real click command for a top-level command name (importing its module)."""
    for module, group in _COMMAND_GROUPS:
        if group == name:
            # mounted as add_typer mounts it (a one-command app stays a group: `diagram render`)
            holder = typer.Typer()
            holder.add_typer(importlib.import_module(f"kenshin.cli.{module}").app, name=name)
            loaded = typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]
            return localise(loaded, [name], _help_lang())
    for module, attr, command_name in _COMMANDS:
        if command_name == name:
            single = typer.Typer(pretty_exceptions_enable=False, rich_markup_mode="rich")
            single.command(name)(getattr(importlib.import_module(f"kenshin.cli.{module}"), attr))
            single.command("_")(lambda: None)  # two commands keep Typer from flattening
            pair = typer.main.get_command(single)
            return localise(pair.commands[name], [name], _help_lang())  # type: ignore[attr-defined]
    return None


class _LazyGroup(TyperGroup):
    """The root group: commands are listed from the tables above and imported on use."""

    configure_pipeline = False  # main() sets it: the console script plugs the pipeline in

    def list_commands(self, ctx: Any) -> list[str]:
        return [name for _m, _a, name in _COMMANDS] + [name for _m, name in _COMMAND_GROUPS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """For the command list of ``--help``: a stand-in with the one-line help only."""
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in self.list_commands(ctx):
            return None
        text = translate(f"cli.help.{cmd_name}", _help_lang())
        return TyperCommand(cmd_name, help=text, short_help=text)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """For running a command (or showing its own help): the real one, imported now."""
        name = args[0] if args else ""
        if name and name not in self.commands:
            real = _load(name)
            if real is not None:
                self.commands[name] = real
        resolved = super().resolve_command(ctx, args)
        if self.configure_pipeline and resolved[0] not in _LIGHT:
            _configure_pipeline()
        return resolved

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _usage_errors_in_help_language():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _usage_errors_in_help_language():
            return super().invoke(ctx)


@contextmanager
def _usage_errors_in_help_language() -> Iterator[None]:
    """Typer prints a usage error (``Error``, ``Try ... for help``) or ``Aborted`` after
    the command line is parsed or run: its words are set just before, and the two
    commonest of Click's sentences (a missing argument or option, an unknown option) are
    said in Japanese when that is the language (English keeps Click's own)."""
    try:
        yield
    except (ClickException, Abort) as exc:
        _typer_in_help_language()
        lang = _help_lang()
        if lang == "ja" and isinstance(exc, MissingParameter) and not exc.message:
            kind = exc.param_type or (exc.param.param_type_name if exc.param else "")
            name = exc.param.get_error_hint() if exc.param else ""
            if f"cli.typer.missing_{kind}" in catalogue():
                text = translate(f"cli.typer.missing_{kind}", lang, name=name)
                raise UsageError(text, exc.ctx) from exc
        if lang == "ja" and isinstance(exc, NoSuchOption):
            text = translate("cli.typer.no_such_option", lang, name=exc.option_name)
            if exc.possibilities:
                options = ", ".join(sorted(exc.possibilities))
                text += translate("cli.typer.possible_options", lang, options=options)
            raise UsageError(text, exc.ctx) from exc
        raise


app = typer.Typer(
    name="kenshin",
    cls=_LazyGroup,
    help=translate("cli.help.root", _help_lang()),
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
            "--db", envvar="KENSHIN_DB_URL", help=translate("cli.opt.root.db", _help_lang())
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", help=translate("cli.opt.root.lang", _help_lang()), envvar="KENSHIN_LANG"
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help=translate("cli.opt.root.debug", _help_lang()))
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help=translate("cli.opt.root.version", _help_lang()),
        ),
    ] = False,
) -> None:
    STATE.db_url = db
    STATE.lang = resolve_lang(lang)
    STATE.debug = debug
    configure_output()


def _configure_pipeline() -> None:
    """Compose identification and the diagnosis checks for this process's scans."""
    from kenshin.pipeline import configure

    STATE.pipeline = configure(STATE.store)


def main() -> None:
    """Console-script entry point."""
    _LazyGroup.configure_pipeline = True
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
