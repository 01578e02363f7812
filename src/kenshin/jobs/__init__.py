"""Jobs: scans (and later diagnoses, reports, knowledge-base updates) run in the background.

One interface (``JobRunner``), two implementations: ``InProcessRunner`` (a thread pool
of this process; the default, no broker) and ``CeleryRunner`` (Celery workers with
Redis or RabbitMQ as broker and the shared PostgreSQL store), chosen by ``runner_for``.
Job functions are registered per kind with ``register_job``; both runners call the
same functions. Status lives in the ``jobs`` table.
"""

from kenshin.jobs.inprocess import InProcessRunner
from kenshin.jobs.model import (
    JobError,
    JobKind,
    JobRunner,
    JobSpec,
    JobState,
    JobStatus,
    ProgressReporter,
)
from kenshin.jobs.registry import (
    JobContext,
    JobFunction,
    current_job,
    job_function,
    register_job,
    registered_kinds,
)
from kenshin.jobs.runner import BROKER_ENV, broker_url, runner_for

__all__ = [
    "BROKER_ENV",
    "InProcessRunner",
    "JobContext",
    "JobError",
    "JobFunction",
    "JobKind",
    "JobRunner",
    "JobSpec",
    "JobState",
    "JobStatus",
    "ProgressReporter",
    "broker_url",
    "current_job",
    "job_function",
    "register_job",
    "registered_kinds",
    "runner_for",
]
