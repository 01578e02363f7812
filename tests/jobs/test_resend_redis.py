"""A unit message taken from Redis by a worker killed before it recorded the hold.

Real Redis (``KENSHIN_TEST_REDIS_URL``, default 127.0.0.1:6379 db 11), no worker
process: the "worker" is a child process that takes the unit's message from the queue
the way Celery's consumer does (unacknowledged) and is killed with SIGKILL by its pid.
Redis would hand the message back only after the visibility timeout (600 s here); the
reaper must send the unit again as soon as it is older than the re-send rule's time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from sqlalchemy import func, select, update

from kenshin.domain import PortResult, PortState, Protocol
from kenshin.jobs import JobKind, JobSpec, JobState
from kenshin.jobs.distributed import (
    QUEUE_ENV,
    STALE_HOLD,
    VISIBILITY_ENV,
    celery_app,
    dispatch_scan,
    reap_orphans,
    scan_queue,
    waiting_units,
)
from kenshin.jobs.repository import JobRepository
from kenshin.jobs.shared import now_utc
from kenshin.jobs.units import Unit, UnitOutcome, claim_unit, write_unit
from kenshin.scan.engine import RunStatus
from kenshin.store import Store, open_store
from kenshin.store.models_jobs import JobRow, JobUnitRow
from kenshin.store.models_scan import ScanPortRow, ScanRunRow

pytestmark = pytest.mark.redis

REDIS_URL = os.environ.get("KENSHIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
TAKER = """
import sys, time
from kombu import Connection
with Connection(sys.argv[1]) as connection:
    message = connection.default_channel.basic_get(queue=sys.argv[2], no_ack=False)
    print("taken" if message is not None else "empty", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Celery]:
    """A Celery app on Redis with queues of its own (removed afterwards)."""
    try:
        with Celery(broker=REDIS_URL).connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable: {exc}")
        pytest.skip(f"Redis is not reachable: {exc}")
    monkeypatch.setenv(QUEUE_ENV, f"kenshin-resend-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv(VISIBILITY_ENV, "600")
    monkeypatch.setenv("KENSHIN_LAB_TARGETS", "1")
    celery = celery_app(REDIS_URL)
    with celery.connection_for_write() as connection:
        for name in (str(celery.conf.task_default_queue), scan_queue(celery)):
            connection.default_channel.queue_declare(queue=name)
    try:
        yield celery
    finally:
        with celery.connection_for_write() as connection:
            for name in (str(celery.conf.task_default_queue), scan_queue(celery)):
                connection.default_channel.queue_delete(queue=name)


@pytest.fixture
def store(store_url: str, isolated_env: Path) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.dispose()


def _sent_earlier(store: Store, job_id: str, seconds: float) -> None:
    """Date the unit's sending back by ``seconds`` (as if it had been sent that long ago)."""
    with store.session() as session:
        session.execute(
            update(JobUnitRow)
            .where(JobUnitRow.job_id == job_id)
            .values(held_at=now_utc() - timedelta(seconds=seconds))
        )


def test_a_unit_taken_by_a_worker_killed_before_it_said_so_is_sent_again_and_stored_once(
    app: Celery, store: Store
) -> None:
    spec = JobSpec(
        JobKind.SCAN,
        None,
        {"targets": "198.18.10.10", "ports": "22,443", "profile": "lab", "identify": "false"},
        "tester",
    )
    with store.session() as session:
        job_id = JobRepository(session).create(spec, runner="celery")
    assert dispatch_scan(app, store, job_id, spec) == 1
    assert waiting_units(app) == 1
    # behind a backlog for longer than the rule's time, but still in the queue: not re-sent
    _sent_earlier(store, job_id, STALE_HOLD + 1)
    assert reap_orphans(app, store) == 0
    assert waiting_units(app) == 1

    taker = subprocess.Popen(
        [sys.executable, "-c", TAKER, REDIS_URL, scan_queue(app)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert taker.stdout is not None
        assert taker.stdout.readline().strip() == "taken"
    finally:
        os.kill(taker.pid, signal.SIGKILL)
        taker.wait(timeout=10)
    assert waiting_units(app) == 0  # Redis keeps it unacknowledged for 600 s

    # the unit was sent a moment ago: the taker may still be about to say so
    _sent_earlier(store, job_id, 1)
    assert reap_orphans(app, store) == 0
    # older than the rule's time, not in the queue, nobody holds it: sent again, once
    _sent_earlier(store, job_id, STALE_HOLD + 1)
    assert reap_orphans(app, store) == 1
    assert waiting_units(app) == 1
    assert reap_orphans(app, store) == 0
    with store.session() as session:
        row = session.scalar(select(JobUnitRow).where(JobUnitRow.job_id == job_id))
        assert row is not None
        assert row.state == "queued"
        assert row.error.startswith("sent again")
        key = row.key
        run_uid = str((session.get(JobRow, job_id).result or {})["scan_run"])  # type: ignore[union-attr]

    # the copy re-sent is done; the original, handed back after the visibility timeout,
    # finds the unit done: one copy of each result
    unit = Unit("198.18.10.10", Protocol.TCP, (22, 443))
    assert unit.key == key
    results = (
        PortResult(Protocol.TCP, 22, PortState.OPEN, "syn-ack"),
        PortResult(Protocol.TCP, 443, PortState.CLOSED, "conn-refused"),
    )
    outcome = UnitOutcome(RunStatus.FINISHED, results, "connect")
    attempt = claim_unit(store, job_id, key, "w2")
    assert attempt == 1
    assert write_unit(store, job_id, run_uid, unit, outcome, "w2", attempt, key)
    assert claim_unit(store, job_id, key, "w3") is None
    with store.session() as session:
        run_id = session.scalar(select(ScanRunRow.id).where(ScanRunRow.uid == run_uid))
        rows = session.scalar(
            select(func.count()).select_from(ScanPortRow).where(ScanPortRow.run_id == run_id)
        )
    assert rows == 2


def test_a_job_whose_last_unit_was_written_by_a_worker_killed_before_closing_it_is_closed(
    app: Celery, store: Store
) -> None:
    spec = JobSpec(
        JobKind.SCAN,
        None,
        {"targets": "198.18.10.10", "ports": "22,443", "profile": "lab", "identify": "false"},
        "tester",
    )
    with store.session() as session:
        job_id = JobRepository(session).create(spec, runner="celery")
    dispatch_scan(app, store, job_id, spec)
    with store.session() as session:
        key = session.scalar(select(JobUnitRow.key).where(JobUnitRow.job_id == job_id))
        job = session.get(JobRow, job_id)
        assert key is not None
        assert job is not None
        run_uid = str((job.result or {})["scan_run"])
    unit = Unit("198.18.10.10", Protocol.TCP, (22, 443))
    attempt = claim_unit(store, job_id, key, "w1")
    assert attempt is not None
    outcome = UnitOutcome(RunStatus.FINISHED, (), "connect")
    assert write_unit(store, job_id, run_uid, unit, outcome, "w1", attempt, key)
    # w1 dies here, before finish_if_complete: only the reaper can close the job now
    with store.session() as session:
        assert JobRepository(session).get(job_id).state is JobState.RUNNING
    assert reap_orphans(app, store) == 0
    with store.session() as session:
        assert JobRepository(session).get(job_id).state is JobState.SUCCEEDED
