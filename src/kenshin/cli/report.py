"""``kenshin report ENGAGEMENT -o DIR``: the check-up report and its exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from kenshin.cli._common import print_json
from kenshin.cli._state import STATE, console
from kenshin.i18n import resolve_lang
from kenshin.report import ReportInput, write_report
from kenshin.report.sources import gather_report_input


def gather(engagement: str) -> ReportInput:
    """Everything the survey stored for ``engagement``, as the report's input."""
    return gather_report_input(STATE.store(), engagement)


def report(
    engagement: Annotated[str, typer.Argument(help="Engagement code (e.g. demo-2026).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to write the report into.")
    ] = Path("report"),
    lang: Annotated[
        str | None, typer.Option("--lang", help="ja (default) or en; overrides the global one.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the written files as JSON.")
    ] = False,
) -> None:
    """Write the report: report.pdf, report.html, findings.xlsx, findings.json, defectdojo.json."""
    language = resolve_lang(lang) if lang else STATE.lang
    report_input = gather(engagement)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task(STATE.t("report.cli.rendering"))

        def step(name: str) -> None:
            progress.update(task, description=f"{STATE.t('report.cli.rendering')}: {name}")

        files = write_report(report_input, output, language, progress=step)
    if as_json:
        print_json(
            {
                "engagement": engagement,
                "lang": language,
                "directory": str(files.directory.resolve()),
                "files": {path.name: str(path.resolve()) for path in files.all()},
            }
        )
        return
    console.print(STATE.t("report.cli.written", dir=str(files.directory.resolve())))
    for path in files.all():
        console.print(STATE.t("report.cli.file", name=path.name))
