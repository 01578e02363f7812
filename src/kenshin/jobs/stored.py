"""What every runner does the same way: submit a row, read it back, cancel it, retry it.

Both runners keep their jobs in the ``jobs`` table; only how a submitted job is started
and how a running one is stopped differ, so those are the two methods a runner adds.
"""

from __future__ import annotations

from kenshin.jobs.model import JobError, JobSpec, JobState, JobStatus
from kenshin.jobs.registry import job_function
from kenshin.jobs.repository import JobRepository
from kenshin.store import Store


class StoredJobs:
    """The ``JobRunner`` methods that only read and write the ``jobs`` table."""

    name = ""

    def __init__(self, store: Store) -> None:
        self.store = store

    def submit(self, spec: JobSpec) -> str:
        job_function(spec.kind)  # refuse an unregistered kind before anything is queued
        with self.store.session() as session:
            job_id = JobRepository(session).create(spec, runner=self.name)
        self._start(job_id, spec)
        return job_id

    def _start(self, job_id: str, spec: JobSpec) -> None:
        """Hand the queued job to whatever runs it."""
        raise NotImplementedError

    def _stop_running(self, job_id: str, current: JobStatus) -> bool:
        """Ask a running job to stop; False when nothing will end it but the caller."""
        return False

    def status(self, job_id: str) -> JobStatus:
        with self.store.session() as session:
            return JobRepository(session).get(job_id)

    def list(self, engagement_code: str | None = None) -> list[JobStatus]:
        with self.store.session() as session:
            return JobRepository(session).list(engagement_code)

    def cancel(self, job_id: str) -> None:
        with self.store.session() as session:
            current = JobRepository(session).get(job_id)
            if current.state.finished:
                raise JobError("jobs.already_finished", id=job_id, state=current.state.value)
            stopping = self._stop_running(job_id, current)
            if current.state in (JobState.QUEUED, JobState.PAUSED) or not stopping:
                JobRepository(session).finish(job_id, JobState.CANCELLED)

    def retry(self, job_id: str) -> str:
        """Submit a failed or cancelled job again as a new job (its ``retry_of`` links them)."""
        previous = self.status(job_id)
        if previous.state not in (JobState.FAILED, JobState.CANCELLED):
            raise JobError("jobs.not_retryable", id=job_id, state=previous.state.value)
        new_id = self.submit(previous.spec)
        with self.store.session() as session:
            JobRepository(session).link_retry(new_id, job_id)
        return new_id
