"""Which function does each job kind: registered once, called by every runner.

A job function has the signature ``(store, spec, report_progress) -> result`` where
``report_progress(fraction, message)`` records progress in the ``jobs`` table. While a
job runs, ``current_job()`` gives its id, an ``EmergencyStop`` that is triggered when
the job is cancelled (or the global stop is raised), so long work can stop cleanly, and
the scan pipeline of the runner running it (identification and the post-scan stages).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from kenshin.jobs.model import JobError, JobKind, JobSpec, ProgressReporter
from kenshin.scan.engine import ScanPipeline
from kenshin.scan.pacing import EmergencyStop
from kenshin.store import Store

JobFunction = Callable[[Store, JobSpec, ProgressReporter], Mapping[str, str]]

_REGISTRY: dict[JobKind, JobFunction] = {}


@dataclass(frozen=True)
class JobContext:
    job_id: str
    stop: EmergencyStop
    pipeline: ScanPipeline


_CURRENT: contextvars.ContextVar[JobContext | None] = contextvars.ContextVar(
    "kenshin_job", default=None
)


def register_job(kind: JobKind, function: JobFunction) -> None:
    """Make ``function`` the one that runs jobs of ``kind`` (a later call replaces it)."""
    _REGISTRY[JobKind(kind)] = function


def job_function(kind: JobKind) -> JobFunction:
    """The registered function of ``kind``; ``JobError`` when none is registered."""
    _ensure_builtin()
    try:
        return _REGISTRY[JobKind(kind)]
    except KeyError:
        raise JobError("jobs.unregistered", kind=str(kind)) from None


def registered_kinds() -> list[JobKind]:
    _ensure_builtin()
    return sorted(_REGISTRY)


def current_job() -> JobContext | None:
    """The job running in this thread (None outside a job)."""
    return _CURRENT.get()


@contextmanager
def job_context(context: JobContext) -> Iterator[JobContext]:
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


_BUILTIN_LOADED = False


def _ensure_builtin() -> None:
    """Register the jobs this room ships (the scan job) on first use."""
    global _BUILTIN_LOADED
    if not _BUILTIN_LOADED:
        _BUILTIN_LOADED = True
        from kenshin.jobs import scan_job

        if JobKind.SCAN not in _REGISTRY:
            register_job(JobKind.SCAN, scan_job.scan_job)
