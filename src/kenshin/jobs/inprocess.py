"""The in-process runner: jobs run in a background thread pool of this process.

This is the default (no broker, SQLite or PostgreSQL): ``submit`` writes a queued row
and hands the job to the pool; the registered job function runs in a worker thread
with ``report_progress`` writing to the ``jobs`` table. ``cancel`` triggers the job's
``EmergencyStop`` (a running scan stops sending and ends its run as interrupted).
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from kenshin.errors import KenshinError
from kenshin.jobs.model import JobSpec, JobState, JobStatus
from kenshin.jobs.registry import JobContext, job_context, job_function
from kenshin.jobs.repository import JobRepository
from kenshin.jobs.stored import StoredJobs
from kenshin.scan.engine import PORTS_ONLY, ScanPipeline
from kenshin.scan.pacing import EmergencyStop
from kenshin.store import Store

THREADS_ENV = "KENSHIN_JOB_THREADS"
RUNNER_NAME = "inprocess"

_log = logging.getLogger(__name__)
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_stops: dict[str, EmergencyStop] = {}
_cancelled: set[str] = set()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            threads = int(os.environ.get(THREADS_ENV, "2") or "2")
            _pool = ThreadPoolExecutor(
                max_workers=max(1, threads), thread_name_prefix="kenshin-job"
            )
        return _pool


def error_text(exc: BaseException) -> str:
    """One sentence for the ``error`` column (English; the key says the rest)."""
    if isinstance(exc, KenshinError):
        return exc.message("en")
    return f"{type(exc).__name__}: {exc}"


def execute(
    store: Store,
    job_id: str,
    spec: JobSpec,
    stop: EmergencyStop,
    worker: str,
    pipeline: ScanPipeline,
) -> None:
    """Run one job to its end and record the end; the same code path for every runner.

    The job sees ``stop`` and the runner's ``pipeline`` through ``current_job()``.
    """
    with store.session() as session:
        if not JobRepository(session).start(job_id, worker):
            return

    def report_progress(fraction: float, message: str) -> None:
        with store.session() as session:
            JobRepository(session).progress(job_id, fraction, message)

    try:
        function = job_function(spec.kind)
        with job_context(JobContext(job_id, stop, pipeline)):
            result = function(store, spec, report_progress)
    except BaseException as exc:
        cancelled = job_id in _cancelled
        with store.session() as session:
            JobRepository(session).finish(
                job_id,
                JobState.CANCELLED if cancelled else JobState.FAILED,
                error="" if cancelled else error_text(exc),
            )
        if not isinstance(exc, Exception):
            raise
        if not isinstance(exc, KenshinError):
            _log.exception("job %s failed", job_id)
        return
    with store.session() as session:
        JobRepository(session).finish(job_id, JobState.SUCCEEDED, result=result)


class InProcessRunner(StoredJobs):
    """``JobRunner`` running jobs in this process's background threads.

    Its scans run ``pipeline`` (default: a bare port scan); the composition root
    (``kenshin.pipeline.compose``) gives the identification and the diagnosis.
    """

    name = RUNNER_NAME

    def __init__(self, store: Store, pipeline: ScanPipeline = PORTS_ONLY) -> None:
        super().__init__(store)
        self.pipeline = pipeline
        self._futures: dict[str, Future[None]] = {}

    def _start(self, job_id: str, spec: JobSpec) -> None:
        stop = EmergencyStop()
        with _lock:
            _stops[job_id] = stop

        def run() -> None:
            try:
                execute(self.store, job_id, spec, stop, f"pid {os.getpid()}", self.pipeline)
            finally:
                with _lock:
                    _stops.pop(job_id, None)

        self._futures[job_id] = _executor().submit(run)

    def wait(self, job_id: str, timeout: float | None = None) -> JobStatus:
        """Block until a job submitted by this runner has ended (tests, the CLI's --wait)."""
        future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout)
        return self.status(job_id)

    def _stop_running(self, job_id: str, current: JobStatus) -> bool:
        with _lock:
            _cancelled.add(job_id)
            stop = _stops.get(job_id)
        if stop is None:
            return False
        stop.trigger()
        return True
