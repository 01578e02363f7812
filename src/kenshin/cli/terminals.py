"""``kenshin terminal``: the Windows terminals chosen for the terminal survey."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from kenshin.app.terminals import import_terminals
from kenshin.cli._common import (
    ItemCommands,
    ItemOption,
    add_item_commands,
    choice_value,
    print_json,
    say,
)
from kenshin.cli._options import CodeArg, JsonOpt, WideOpt
from kenshin.cli._state import STATE, console
from kenshin.cli._tables import Cell, Column, fit_table
from kenshin.cli._workflow import actor
from kenshin.domain import Engagement, TerminalRole
from kenshin.domain.clock import japan_today
from kenshin.i18n import translate
from kenshin.store import EngagementRepository, now_utc
from kenshin.terminals import (
    MAX_FILE_BYTES,
    TerminalAssessment,
    TerminalError,
    assessment_to_json,
    collector_script,
    evaluate,
    group_terminal_files,
    reading_to_json,
    stored_assessments,
)

app = typer.Typer(no_args_is_help=True)


TERMINAL_COMMANDS = ItemCommands(
    section="terminals",
    options=(
        ItemOption("hostname", required=True),
        ItemOption("role", parse=partial(choice_value, TerminalRole), required=True),
        ItemOption("system"),
        ItemOption("location"),
    ),
    add_help="Add a terminal to audit (refused beyond the engagement's terminal limit).",
    edit_help="Change a terminal; options not given stay as they are.",
    remove_help="Remove a terminal.",
)
add_item_commands(app, TERMINAL_COMMANDS)


# -- the terminal survey itself: collector, import, results ---------------------------------


def _read_file(path: Path) -> tuple[str, bytes]:
    """A file's bytes, refusing oversized ones before reading them into memory."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TerminalError(
                "terminals.too_large",
                path=str(path),
                size=size,
                limit=MAX_FILE_BYTES // (1024 * 1024),
            )
        return str(path), path.read_bytes()
    except OSError as exc:
        raise TerminalError(
            "terminals.file_unreadable", path=str(path), reason=exc.strerror or str(exc)
        ) from None


@app.command("collector")
def collector(
    output: Annotated[Path, typer.Option("-o", "--output")] = Path("kenshin-collect.ps1"),
) -> None:
    """Write the collector script to run on each terminal (Windows PowerShell 5.1)."""
    # Windows PowerShell 5.1 reads a script without BOM in the ANSI code page (CP932 on
    # Japanese Windows): write UTF-8 with BOM and Windows line endings.
    text = collector_script().replace("\r\n", "\n").replace("\n", "\r\n")
    try:
        output.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    except OSError as exc:
        raise TerminalError(
            "terminals.file_unreadable", path=str(output), reason=exc.strerror or str(exc)
        ) from None
    say("terminals.cli.collector_written", path=str(output), name=output.name)


@app.command("import")
def import_files(
    code: CodeArg,
    files: Annotated[
        list[Path],
        typer.Argument(),
    ],
    add: Annotated[bool, typer.Option("--add")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check each file, attach it to the engagement's terminal and evaluate it.

    Nothing is stored unless every file is good.
    """
    loaded = [_read_file(path) for path in files]
    assessments = import_terminals(STATE.store(), code, loaded, actor=actor(), add_missing=add)
    if as_json:
        print_json([assessment_to_json(a) for a in assessments])
        return
    for assessment in assessments:
        counts = assessment.counts
        say(
            "terminals.cli.imported",
            key=assessment.terminal_key,
            host=assessment.host,
            os=assessment.os_summary,
            bad=counts["bad"],
            warning=counts["warning"],
            unknown=counts["unknown"],
        )


@app.command("parse")
def parse_files(
    files: Annotated[list[Path], typer.Argument()],
    as_json: JsonOpt = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of"),
    ] = None,
    wide: WideOpt = False,
) -> None:
    """Show what kenshin reads from the files and the verdicts it would give (no store)."""
    try:
        today = date.fromisoformat(as_of) if as_of else japan_today(now_utc())
    except ValueError:
        raise TerminalError("terminals.bad_date", value=as_of) from None
    groups = group_terminal_files([_read_file(path) for path in files])
    results = []
    for group in groups:
        assessment = evaluate(group.collected, today)
        results.append((group, assessment))
    if as_json:
        print_json(
            [
                {
                    "files": list(group.paths),
                    "read": reading_to_json(group.collected),
                    "assessment": assessment_to_json(assessment),
                }
                for group, assessment in results
            ]
        )
        return
    for group, assessment in results:
        counts = assessment.counts
        say(
            "terminals.cli.parsed",
            paths=", ".join(group.paths),
            host=assessment.host or "-",
            os=assessment.os_summary,
            bad=counts["bad"],
            warning=counts["warning"],
            unknown=counts["unknown"],
            day=today.isoformat(),
        )
        rows = _verdict_rows(assessment, STATE.lang)
        console.print(
            fit_table(console, _verdict_columns(STATE.lang), rows, lang=STATE.lang, wide=wide)
        )


_STATUS_STYLE = {"ok": "green", "warning": "yellow", "bad": "bold red", "unknown": "dim"}


@app.command("show")
def show(
    code: CodeArg,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Show a verdict per check for every terminal of the engagement."""
    with STATE.store().session() as session:
        engagement = EngagementRepository(session).get(code)
        assessments = stored_assessments(session, code)
    if as_json:
        print_json([assessment_to_json(a) for a in assessments])
        return
    if not assessments:
        say("terminals.cli.none_imported", code=code)
        return
    render_assessments(engagement, assessments, console, STATE.lang, wide)


def render_assessments(
    engagement: Engagement,
    assessments: Sequence[TerminalAssessment],
    out: Console,
    lang: str,
    wide: bool = False,
) -> None:
    """One table per terminal: a verdict per check (also what ``kenshin demo`` can show)."""

    def t(message_key: str, **params: object) -> str:
        return translate(message_key, lang, **params)

    by_key = {a.terminal_key: a for a in assessments}
    for terminal in engagement.terminals:
        assessment = by_key.get(terminal.key)
        if assessment is None:
            out.print(t("terminals.cli.not_collected", key=terminal.key, host=terminal.hostname))
            continue
        title = f"{terminal.key} {assessment.host} — {assessment.os_summary}"
        caption = t(
            "terminals.cli.show_title",
            code=engagement.code,
            day=assessment.evaluated_on.isoformat(),
        )
        rows = _verdict_rows(assessment, lang)
        columns = _verdict_columns(lang)
        out.print(fit_table(out, columns, rows, lang=lang, title=title, caption=caption, wide=wide))


def _verdict_columns(lang: str) -> list[Column]:
    """Check and verdict are essential; the summary is the long text left out first."""
    return [
        Column(translate(f"terminals.cli.col.{c}", lang), drop=1 if c == "summary" else 0)
        for c in ("check", "status", "summary")
    ]


def _verdict_rows(assessment: TerminalAssessment, lang: str) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for verdict in assessment.verdicts:
        status = translate(f"terminals.status.{verdict.status}", lang)
        rows.append(
            [
                verdict.title(lang),
                Text(status, style=_STATUS_STYLE[verdict.status]),
                Text(verdict.summary(lang)),
            ]
        )
    return rows
