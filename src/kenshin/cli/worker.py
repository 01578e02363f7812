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
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", help="Jobs or units at once (threads).")
    ] = 2,
    queues: Annotated[
        str,
        typer.Option(
            "--queues",
            "-Q",
            help="Queues (default both): kenshin (jobs), kenshin.scan (units); "
            "KENSHIN_QUEUE renames them.",
        ),
    ] = "",
    rate: Annotated[
        float | None,
        typer.Option("--rate", help="This worker's own limit in probes per second (all units)."),
    ] = None,
    label: Annotated[
        str,
        typer.Option(
            "--label", help="Name of this worker, e.g. its source address (shown with each unit)."
        ),
    ] = "",
    loglevel: Annotated[str, typer.Option("--loglevel", help="Celery log level.")] = "INFO",
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
    )
