"""``kenshin worker``: a Celery worker taking kenshin jobs from the broker.

Needs ``KENSHIN_BROKER_URL`` (redis://... or amqp://...) and, for several machines,
``KENSHIN_DB_URL`` pointing at the shared PostgreSQL store.
"""

from __future__ import annotations

from typing import Annotated

import typer

from kenshin.cli._common import CliError
from kenshin.cli._state import STATE
from kenshin.jobs import broker_url


def worker(
    concurrency: Annotated[int, typer.Option("--concurrency", "-c")] = 2,
    queues: Annotated[
        str,
        typer.Option("--queues", "-Q"),
    ] = "",
    rate: Annotated[
        float | None,
        typer.Option("--rate"),
    ] = None,
    label: Annotated[
        str,
        typer.Option("--label"),
    ] = "",
    loglevel: Annotated[str, typer.Option("--loglevel")] = "INFO",
) -> None:
    """ワーカーを起動（Celery）/ Start a Celery worker for kenshin jobs."""
    url = broker_url()
    if url is None:
        raise CliError("jobs.cli.no_broker")
    from kenshin.jobs.distributed import start_worker

    if STATE.db_url:
        import os

        os.environ["KENSHIN_DB_URL"] = STATE.db_url
    start_worker(
        url,
        concurrency=concurrency,
        queues=tuple(q.strip() for q in queues.split(",") if q.strip()),
        rate=rate,
        label=label,
        loglevel=loglevel,
        pipeline=STATE.scan_pipeline(),
    )
