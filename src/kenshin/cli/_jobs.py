"""Following jobs from the command line.

``kenshin scan`` is always a scan job (this process's job threads by default);
``diagnose``, ``report`` and ``vulndb update`` run in this process by default. With
``KENSHIN_BROKER_URL`` set they all queue the same job the web queues, follow its
progress (aggregated over every worker, from the ``jobs`` table) and then show the same
result. Ctrl-C cancels the job (its units stop sending within seconds).
"""

from __future__ import annotations

import time

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from kenshin.cli._common import say
from kenshin.cli._state import STATE, console
from kenshin.jobs import JobError, JobRunner, JobSpec, JobState, JobStatus, broker_url, runner_for

POLL_SECONDS = 0.5


def on_workers() -> bool:
    """True when a broker is configured: commands queue jobs instead of running here."""
    return broker_url() is not None


def follow(runner: JobRunner, job_id: str, show: bool = True) -> JobStatus:
    """Poll the job until it ends, with a progress bar (fraction and message) if ``show``."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TextColumn("{task.fields[message]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show,
    ) as progress:
        task = progress.add_task(STATE.t("jobs.cli.progress"), total=1.0, message="")
        while True:
            status = runner.status(job_id)
            progress.update(task, completed=status.progress, message=status.message)
            if status.state.finished:
                return status
            time.sleep(POLL_SECONDS)


def run_on_workers(spec: JobSpec, *, show: bool = True) -> JobStatus:
    """Queue ``spec``, follow it to its end and return it; ``JobError`` unless it succeeded."""
    runner = runner_for(STATE.store(), STATE.scan_pipeline())
    return follow_to_end(runner, runner.submit(spec), show=show)


def follow_to_end(runner: JobRunner, job_id: str, *, show: bool = True) -> JobStatus:
    """Follow a queued job on the workers to its end; Ctrl-C cancels it."""
    if show:
        say("jobs.cli.on_workers", id=job_id)
    try:
        status = follow(runner, job_id, show)
    except KeyboardInterrupt:
        if not runner.status(job_id).state.finished:
            runner.cancel(job_id)
        say("jobs.cli.cancelled", id=job_id)
        raise typer.Exit(130) from None
    return succeeded(status)


def succeeded(status: JobStatus) -> JobStatus:
    """``status`` if the job succeeded; else ``JobError`` with its state and reason."""
    if status.state is not JobState.SUCCEEDED:
        raise JobError(
            "jobs.failed",
            id=status.id,
            state=status.state.value,
            reason=status.error or status.message or "-",
        )
    return status
