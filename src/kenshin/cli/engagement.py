"""``kenshin engagement``: list, show, create, import, export, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kenshin.cli._common import CliError, choice, json_or_empty, load, print_json, say
from kenshin.cli._options import CodeArg, JsonOpt, Opt, WideOpt
from kenshin.cli._state import STATE, console
from kenshin.cli._tables import Column, fit_table
from kenshin.cli.summary import diagnosis_status_key, render_summary
from kenshin.domain import DEFAULT_TERMINAL_LIMIT, Engagement, EngagementStatus
from kenshin.store import reading

# The store's writers, the engagement file's schema (pydantic) and the inventory are
# imported by the commands that use them: `list` and `show` start without them.

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_engagements(as_json: JsonOpt = False, wide: WideOpt = False) -> None:
    """List engagements with their state."""
    with STATE.reader() as fetch:
        summaries = reading.summaries(fetch)
    if json_or_empty(as_json, [s.__dict__ for s in summaries], "cli.engagement.none"):
        return
    columns = [  # the title is left out first on a narrow terminal, then the counts
        Column(STATE.t("summary.col.key")),
        Column(STATE.t("summary.col.name"), drop=2),
        Column(STATE.t("summary.institution"), drop=1),
        Column(STATE.t("summary.status")),
        *(Column(STATE.t(f"summary.col.{k}"), drop=1) for k in ("points", "devices", "terminals")),
    ]
    rows = [
        [
            s.code,
            s.title,
            s.institution,
            STATE.t(f"label.status.{s.status.value}"),
            str(s.points),
            str(s.devices),
            str(s.terminals),
        ]
        for s in summaries
    ]
    title = STATE.t("cli.engagement.list_title")
    console.print(fit_table(console, columns, rows, lang=STATE.lang, title=title, wide=wide))


def engagement_json(engagement: Engagement) -> dict[str, object]:
    from kenshin.intake import to_document

    document = to_document(engagement)
    document["remote_diagnosis"] = [
        {
            "point": p.key,
            "status": diagnosis_status_key(p).rsplit(".", 1)[1],
            "addresses": [str(a.address) for a in p.addresses],
        }
        for p in engagement.connection_points
    ]
    return document


@app.command("show")
def show(code: CodeArg, as_json: JsonOpt = False, wide: WideOpt = False) -> None:
    """Show an engagement: connection points, devices, terminals, vendors."""
    engagement = load(code)
    if as_json:
        print_json(engagement_json(engagement))
        return
    render_summary(engagement, console, STATE.lang, wide)


@app.command("create")
def create(
    code: CodeArg,
    title: Annotated[str, typer.Option()],
    institution: Annotated[str, typer.Option()],
    prefecture: Annotated[str, typer.Option()] = "",
    beds: Annotated[int | None, typer.Option(min=0)] = None,
    status: Annotated[str, typer.Option()] = EngagementStatus.DRAFT.value,
    survey_start: Opt = None,
    survey_end: Opt = None,
    terminal_limit: Annotated[int, typer.Option(min=1)] = DEFAULT_TERMINAL_LIMIT,
) -> None:
    """Create an empty engagement for an institution."""
    from kenshin import inventory
    from kenshin.intake import date_of

    start, end = date_of(survey_start), date_of(survey_end)
    with STATE.store().session() as session:
        inventory.create_engagement(
            session,
            code,
            title,
            institution,
            prefecture=prefecture,
            beds=beds,
            status=choice(EngagementStatus, status).value,
            survey_start=start,
            survey_end=end,
            terminal_limit=terminal_limit,
        )
    say("cli.engagement.created", code=code)


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument()],
    as_json: JsonOpt = False,
) -> None:
    """Import (or update) an engagement from its YAML file."""
    from kenshin.intake import read_file
    from kenshin.store import EngagementRepository

    engagement = read_file(path)
    with STATE.store().session() as session:
        created = EngagementRepository(session).save(engagement)
    if as_json:
        print_json({"code": engagement.code, "created": created})
        return
    say(
        "cli.engagement.imported_new" if created else "cli.engagement.imported_update",
        code=engagement.code,
    )


@app.command("export")
def export(
    code: CodeArg,
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
    force: Annotated[bool, typer.Option("--force")] = False,
) -> None:
    """Write an engagement as YAML (to stdout without -o)."""
    from kenshin import inventory

    with STATE.store().session() as session:
        text = inventory.export_text(session, code)
    if output is None:
        typer.echo(text, nl=False)
        return
    if output.exists() and not force:
        raise CliError("cli.file_exists", path=str(output))
    output.write_text(text, encoding="utf-8")
    say("cli.engagement.exported", code=code, path=str(output))


@app.command("delete")
def delete(
    code: CodeArg,
    yes: Annotated[bool, typer.Option("--yes", "-y")] = False,
) -> None:
    """Delete an engagement and everything recorded for it (the audit log stays)."""
    from kenshin.store import EngagementRepository

    if not yes:
        typer.confirm(STATE.t("cli.engagement.delete_confirm", code=code), abort=True)
    with STATE.store().session() as session:
        EngagementRepository(session).delete(code)
    say("cli.engagement.deleted", code=code)
