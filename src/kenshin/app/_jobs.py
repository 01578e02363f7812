"""Queueing a job and recording who asked for it."""

from __future__ import annotations

from kenshin.app._audit import record
from kenshin.jobs import JobRunner, JobSpec
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
