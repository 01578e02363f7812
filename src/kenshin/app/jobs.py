"""Queueing and cancelling a job, recording who did it."""

from __future__ import annotations

from kenshin.app._audit import record
from kenshin.jobs import JobRunner, JobSpec, JobStatus
from kenshin.store import Store


def queue_job(store: Store, runner: JobRunner, spec: JobSpec) -> str:
    """Submit ``spec`` and audit ``job.<kind>.submit`` by its requester; the job's id."""
    job_id = runner.submit(spec)
    with store.session() as session:
        record(
            session,
            spec.requested_by,
            f"job.{spec.kind.value}.submit",
            spec.engagement_code,
            details={"job": job_id},
        )
    return job_id


def cancel_job(store: Store, runner: JobRunner, job_id: str, *, actor: str) -> JobStatus:
    """Cancel a job (a running scan stops sending) and audit ``job.cancel``; its status."""
    found = runner.status(job_id)
    runner.cancel(job_id)
    with store.session() as session:
        record(session, actor, "job.cancel", found.spec.engagement_code, details={"job": job_id})
    return runner.status(job_id)
