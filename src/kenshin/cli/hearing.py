"""``kenshin hearing``: write the hearing-sheet workbook and import the hospital's answers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kenshin.cli._common import CliError, load, print_json, say
from kenshin.cli._options import CodeArg, JsonOpt
from kenshin.cli._state import STATE, console
from kenshin.cli._workflow import address_changes, audit
from kenshin.intake.hearing_sheet import read_answers, write_template
from kenshin.store import EngagementRepository

app = typer.Typer(no_args_is_help=True)


@app.command("template")
def template(
    code: CodeArg,
    output: Annotated[Path, typer.Option("-o", "--output")],
    force: Annotated[bool, typer.Option("--force")] = False,
) -> None:
    """Write the hearing sheet for an engagement, pre-filled with what is known."""
    if output.exists() and not force:
        raise CliError("cli.file_exists", path=str(output))
    write_template(load(code), output)
    say("cli.hearing.written", path=str(output), code=code)


@app.command("import")
def import_sheet(
    code: CodeArg,
    path: Annotated[Path, typer.Argument()],
    partial: Annotated[bool, typer.Option("--partial")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a filled-in hearing sheet: everything valid, or nothing (unless --partial)."""
    with STATE.store().session() as session:
        repository = EngagementRepository(session)
        before = repository.get(code)
        result = read_answers(before, path, partial=partial)
        repository.save(result.engagement)
        for action, targets, details in address_changes(before, result.engagement):
            audit(session, action, code, targets=targets, details={**details, "source": path.name})
        audit(
            session,
            "hearing.import",
            code,
            details={
                "file": path.name,
                "added": str(sum(result.added.values())),
                "updated": str(sum(result.updated.values())),
                "skipped": str(len(result.skipped)),
            },
        )
    if as_json:
        print_json(
            {
                "code": code,
                "added": result.added,
                "updated": result.updated,
                "skipped": [
                    {"row": s.ref, "problems": [p.message(STATE.lang) for p in s.problems]}
                    for s in result.skipped
                ],
            }
        )
        return
    say(
        "cli.hearing.imported",
        code=code,
        added=sum(result.added.values()),
        updated=sum(result.updated.values()),
    )
    if result.skipped:
        say("cli.hearing.skipped")
        for skipped in result.skipped:
            for problem in skipped.problems:
                console.print(f"  - {problem.message(STATE.lang)}", highlight=False)
