"""Choosing the runner: in-process by default, Celery when ``KENSHIN_BROKER_URL`` is set."""

from __future__ import annotations

import os

from kenshin.jobs.inprocess import InProcessRunner
from kenshin.jobs.model import JobRunner
from kenshin.store import Store

BROKER_ENV = "KENSHIN_BROKER_URL"


def broker_url() -> str | None:
    value = os.environ.get(BROKER_ENV, "").strip()
    return value or None


def runner_for(store: Store) -> JobRunner:
    """The runner the CLI and the web use: Celery with a broker, else this process."""
    url = broker_url()
    if url is None:
        return InProcessRunner(store)
    from kenshin.jobs.distributed import CeleryRunner

    return CeleryRunner(store, url)
