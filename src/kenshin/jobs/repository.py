"""The ``jobs`` table: create, read, move through states, record progress and results.

Every runner writes job status here, so the CLI and the web page read the same thing
whichever process (or machine) runs the job.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kenshin.domain.clock import as_utc
from kenshin.jobs.model import JobError, JobKind, JobSpec, JobState, JobStatus
from kenshin.store import rows_changed
from kenshin.store.models_jobs import JobRow

MESSAGE_LIMIT = 2000
_ENDED = [s.value for s in JobState if s.finished]


def _texts(values: Mapping[str, object] | None) -> dict[str, str]:
    """A JSON object as the text-to-text mapping jobs carry (parameters, results)."""
    return {str(k): str(v) for k, v in (values or {}).items()}


def _status(row: JobRow) -> JobStatus:
    return JobStatus(
        id=row.id,
        spec=JobSpec(
            kind=JobKind(row.kind),
            engagement_code=row.engagement_code,
            params=_texts(row.params),
            requested_by=row.requested_by,
        ),
        state=JobState(row.state),
        progress=float(row.progress),
        message=row.message,
        created_at=as_utc(row.created_at),
        started_at=as_utc(row.started_at),
        finished_at=as_utc(row.finished_at),
        result=_texts(row.result),
        error=row.error,
    )


class JobRepository:
    """Jobs of one store session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, job_id: str) -> JobRow:
        row = self.session.get(JobRow, job_id)
        if row is None:
            raise JobError("jobs.not_found", id=job_id)
        return row

    def create(self, spec: JobSpec, *, runner: str, retry_of: str | None = None) -> str:
        job_id = str(uuid.uuid4())
        self.session.add(
            JobRow(
                id=job_id,
                kind=JobKind(spec.kind).value,
                engagement_code=spec.engagement_code,
                params=dict(spec.params),
                requested_by=spec.requested_by,
                state=JobState.QUEUED.value,
                progress=0.0,
                message="",
                created_at=datetime.now(UTC),
                result={},
                error="",
                retry_of=retry_of,
                runner=runner,
                worker="",
            )
        )
        self.session.flush()
        return job_id

    def get(self, job_id: str) -> JobStatus:
        return _status(self._row(job_id))

    def link_retry(self, job_id: str, retry_of: str) -> None:
        self._row(job_id).retry_of = retry_of
        self.session.flush()

    def list(self, engagement_code: str | None = None) -> list[JobStatus]:
        query = select(JobRow).order_by(JobRow.created_at.desc(), JobRow.id)
        if engagement_code is not None:
            query = query.where(JobRow.engagement_code == engagement_code)
        return [_status(row) for row in self.session.scalars(query)]

    def start(self, job_id: str, worker: str = "") -> bool:
        """Queued or paused -> running; False when the job was cancelled meanwhile."""
        done = self.session.execute(
            update(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.state.not_in(_ENDED),
            )
            .values(
                state=JobState.RUNNING.value,
                started_at=func.coalesce(JobRow.started_at, datetime.now(UTC)),
                worker=worker,
            )
        )
        return bool(rows_changed(done))

    def progress(self, job_id: str, fraction: float, message: str) -> None:
        self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.state == JobState.RUNNING.value)
            .values(progress=max(0.0, min(1.0, fraction)), message=message[:MESSAGE_LIMIT])
        )

    def set_state(self, job_id: str, state: JobState, message: str = "") -> None:
        """Move a job that has not ended (an ended job stays ended: a late pause of one
        unit must not revive a failed or cancelled job)."""
        values: dict[str, object] = {"state": state.value}
        if message:
            values["message"] = message[:MESSAGE_LIMIT]
        self._update_unfinished(job_id, values)

    def finish(
        self,
        job_id: str,
        state: JobState,
        *,
        result: Mapping[str, str] | None = None,
        error: str = "",
        message: str = "",
    ) -> bool:
        """End a job that has not ended yet; False when it had (a cancel wins a race)."""
        values: dict[str, object] = {
            "state": state.value,
            "finished_at": datetime.now(UTC),
            "error": error[:MESSAGE_LIMIT],
        }
        if result is not None:
            values["result"] = _texts(result)
        if state is JobState.SUCCEEDED:
            values["progress"] = 1.0
        if message:
            values["message"] = message[:MESSAGE_LIMIT]
        return self._update_unfinished(job_id, values)

    def _update_unfinished(self, job_id: str, values: Mapping[str, object]) -> bool:
        """Set ``values`` on a job that has not ended; False when it had."""
        done = self.session.execute(
            update(JobRow).where(JobRow.id == job_id, JobRow.state.not_in(_ENDED)).values(**values)
        )
        return bool(rows_changed(done))
