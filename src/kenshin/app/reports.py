"""Making the check-up report: written here, or queued as a report job; audited either way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kenshin.app._audit import record
from kenshin.app.jobs import queue_job
from kenshin.jobs import JobKind, JobRunner, JobSpec
from kenshin.store import Store

REPORT_ACTION = "report.build"

if TYPE_CHECKING:  # the report room (WeasyPrint, Jinja2) is imported when a report is made
    from kenshin.report import ReportFiles


def _asked(store: Store, code: str, lang: str, actor: str) -> None:
    with store.session() as session:
        record(session, actor, REPORT_ACTION, code, details={"lang": lang})


def write_report_now(
    store: Store,
    code: str,
    output: Path,
    lang: str,
    *,
    actor: str,
    progress: Callable[[str], None] | None = None,
) -> ReportFiles:
    """Gather what the survey stored for ``code`` and write the report into ``output``."""
    from kenshin.report import write_report
    from kenshin.report.sources import gather_report_input

    report_input = gather_report_input(store, code)
    _asked(store, code, lang, actor)
    return write_report(report_input, output, lang, progress=progress)


def queue_report(
    store: Store, runner: JobRunner, code: str, output: Path, lang: str, *, actor: str
) -> str:
    """Queue a report job writing into ``output`` (an absolute folder the worker sees)."""
    spec = JobSpec(JobKind.REPORT, code, {"output": str(output), "lang": lang}, actor)
    job_id = queue_job(store, runner, spec)
    _asked(store, code, lang, actor)
    return job_id
