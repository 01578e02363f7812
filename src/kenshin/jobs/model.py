"""The job interface both runners implement: kinds, states, specs, statuses, the runner."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from kenshin.errors import KenshinError

ProgressReporter = Callable[[float, str], None]
"""``report_progress(fraction, message)``: fraction in 0..1, one line of text."""


class JobError(KenshinError):
    """A job cannot be submitted, found, retried or cancelled as asked."""


class JobKind(StrEnum):
    SCAN = "scan"
    DIAGNOSE = "diagnose"
    REPORT = "report"
    VULNDB_UPDATE = "vulndb_update"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class JobSpec:
    """What to do: a kind, the engagement it belongs to (if any), its parameters, who asked."""

    kind: JobKind
    engagement_code: str | None
    params: Mapping[str, str]
    requested_by: str


@dataclass(frozen=True)
class JobStatus:
    id: str
    spec: JobSpec
    state: JobState
    progress: float
    message: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: Mapping[str, str]
    error: str


class JobRunner(Protocol):
    """Runs jobs: in this process (``InProcessRunner``) or on Celery workers."""

    def submit(self, spec: JobSpec) -> str: ...

    def status(self, job_id: str) -> JobStatus: ...

    def list(self, engagement_code: str | None = None) -> list[JobStatus]: ...

    def cancel(self, job_id: str) -> None: ...

    def retry(self, job_id: str) -> str: ...
