"""``kenshin report ENGAGEMENT -o DIR``: the check-up report and its exports.

With ``KENSHIN_BROKER_URL`` set the report is written by a report job on a worker, into
the same folder (given to it as an absolute path, so the worker must see this
machine's folder: the same host, or a shared file system).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from kenshin.app.reports import queue_report, write_report_now
from kenshin.cli._common import print_json
from kenshin.cli._jobs import follow_to_end, on_workers
from kenshin.cli._options import JsonOpt
from kenshin.cli._state import STATE, console
from kenshin.i18n import resolve_lang
from kenshin.jobs import runner_for
from kenshin.scope import current_actor


def report(
    engagement: Annotated[str, typer.Argument()],
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("report"),
    lang: Annotated[str | None, typer.Option("--lang")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the report: report.pdf, report.html, findings.xlsx, findings.json, defectdojo.json."""
    language = resolve_lang(lang) if lang else STATE.lang
    store = STATE.store()
    if on_workers():
        runner = runner_for(store, STATE.scan_pipeline())
        job_id = queue_report(
            store, runner, engagement, output.resolve(), language, actor=current_actor()
        )
        written = follow_to_end(runner, job_id, show=not as_json).result
        _written(engagement, language, output.resolve(), dict(written), as_json)
        return
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

        files = write_report_now(
            store, engagement, output, language, actor=current_actor(), progress=step
        )
    _written(
        engagement,
        language,
        files.directory.resolve(),
        {path.name: str(path.resolve()) for path in files.all()},
        as_json,
    )


def _written(
    engagement: str, language: str, directory: Path, files: dict[str, str], as_json: bool
) -> None:
    if as_json:
        print_json(
            {
                "engagement": engagement,
                "lang": language,
                "directory": str(directory),
                "files": files,
            }
        )
        return
    console.print(STATE.t("report.cli.written", dir=str(directory)))
    for name in files:
        console.print(STATE.t("report.cli.file", name=name))
