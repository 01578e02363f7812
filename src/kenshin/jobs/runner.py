"""Choosing the runner: in-process by default, Celery when ``KENSHIN_BROKER_URL`` is set."""

from __future__ import annotations

import os

from kenshin.jobs.inprocess import InProcessRunner
from kenshin.jobs.model import JobRunner
from kenshin.scan.engine import ScanPipeline
from kenshin.store import Store

BROKER_ENV = "KENSHIN_BROKER_URL"


def broker_url() -> str | None:
    value = os.environ.get(BROKER_ENV, "").strip()
    return value or None


def runner_for(store: Store, pipeline: ScanPipeline) -> JobRunner:
    """The runner the CLI and the web use: Celery with a broker, else this process.

    ``pipeline`` is what this process's scans run; Celery workers compose their own
    when they start (``kenshin worker``).
    """
    url = broker_url()
    if url is None:
        return InProcessRunner(store, pipeline)
    from kenshin.jobs.distributed import CeleryRunner

    return CeleryRunner(store, url)
