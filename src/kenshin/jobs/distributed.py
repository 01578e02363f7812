"""The Celery runner: the same jobs on workers, Redis or RabbitMQ as broker, one shared store.

Two tasks. ``kenshin.run_job`` takes a queued job: a scan is split into units (one host
x one port range) and each unit is sent as a ``kenshin.scan_unit`` task; any other kind
runs its registered function through ``execute`` (the in-process runner's code path).
``kenshin.scan_unit`` waits for its target's lease (politeness across workers), scans
the unit with the scan engine and replaces the unit's rows of the run in one
transaction; the last unit to finish closes the run and the job.

Tasks are acknowledged late and re-queued when their worker is lost
(``task_acks_late`` + ``task_reject_on_worker_lost``; RabbitMQ re-delivers when the dead
worker's connection closes, Redis after ``visibility_timeout``). Independently of the
broker, every worker's reaper queues again any running unit whose target lease has
expired (its worker died or stalled), so a unit that dies with its worker is always
done again elsewhere; the unit write is fenced by its attempt number and idempotent,
so nothing is lost or duplicated. Jobs of an engagement start only inside its
diagnosis window and pause (the task is retried with a countdown) while it is closed.

Queue names come from ``KENSHIN_QUEUE`` (default ``kenshin``: jobs on ``kenshin``,
units on ``kenshin.scan``), so two programmes — or two test runs — can share one
broker without taking each other's tasks.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from celery import Celery, Task
from celery.signals import task_received
from kombu.entity import Queue
from kombu.exceptions import ChannelError
from sqlalchemy import func, select, update

from kenshin.config import database_url
from kenshin.domain import PortState
from kenshin.jobs.inprocess import error_text, execute
from kenshin.jobs.model import JobKind, JobSpec, JobState
from kenshin.jobs.repository import JobRepository
from kenshin.jobs.scan_job import scan_request
from kenshin.jobs.shared import (
    LEASE_SECONDS,
    SharedStop,
    heartbeat,
    now_utc,
    release_lease,
    renew_lease,
    stop_reason,
    try_lease,
)
from kenshin.jobs.stored import StoredJobs
from kenshin.jobs.units import (
    DEFAULT_UNIT_PORTS,
    Unit,
    claim_unit,
    completed_jobs,
    hold_unit,
    orphaned_units,
    plan_units,
    requeue_unit,
    run_unit,
    unit_counts,
    unit_holder,
    write_unit,
)
from kenshin.scan.engine import PORTS_ONLY, RunStatus, ScanPipeline
from kenshin.scan.session import build_scope, store_audit
from kenshin.scan.storage import ScanRunRepository
from kenshin.scope import current_actor
from kenshin.store import EngagementRepository, Store, StoreError, open_store
from kenshin.store.models_jobs import JobRow, JobUnitRow
from kenshin.store.models_scan import ScanPortRow, ScanRunRow

RUNNER_NAME = "celery"
QUEUE_ENV = "KENSHIN_QUEUE"
DEFAULT_QUEUE = "kenshin"
REAP_SECONDS = max(1.0, LEASE_SECONDS / 3)
"""How often each worker looks for units whose worker lost its lease."""
VISIBILITY_ENV = "KENSHIN_VISIBILITY_TIMEOUT"
WINDOW_RECHECK_ENV = "KENSHIN_WINDOW_RECHECK"
WINDOW_RECHECK = float(os.environ.get(WINDOW_RECHECK_ENV, "60") or "60")
"""Seconds between looks at a closed diagnosis window (a new window may be recorded)."""
LEASE_RETRY = 0.5
STALE_HOLD = WINDOW_RECHECK + 2 * LEASE_SECONDS
"""A received unit nobody has received again for this long is sent again (a held unit
comes back at least every ``WINDOW_RECHECK`` seconds)."""
WINDOWED = (JobKind.SCAN, JobKind.DIAGNOSE)

_log = logging.getLogger(__name__)


@dataclass
class WorkerOptions:
    label: str = ""
    rate: float | None = None
    concurrency: int = 1

    def name(self) -> str:
        return f"{self.label or 'kenshin'}@{socket.gethostname()} pid {os.getpid()}"


WORKER = WorkerOptions()
_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def worker_store() -> Store:
    url = database_url()
    with _stores_lock:
        if url not in _stores:
            _stores[url] = open_store(url)
        return _stores[url]


def queue_names() -> tuple[str, str]:
    """(the job queue, the scan-unit queue), named after ``KENSHIN_QUEUE``."""
    base = os.environ.get(QUEUE_ENV, "").strip() or DEFAULT_QUEUE
    return base, f"{base}.scan"


def job_queue(app: Celery) -> str:
    return str(app.conf.task_default_queue)


def scan_queue(app: Celery) -> str:
    return f"{job_queue(app)}.scan"


def celery_app(broker: str, pipeline: ScanPipeline = PORTS_ONLY) -> Celery:
    """A Celery application on ``broker`` with kenshin's two tasks and its settings.

    Its tasks run ``pipeline`` (``app_pipeline``): a worker gives the one it composed at
    start; a submitting process's app runs no task and keeps the empty one.
    """
    app = Celery("kenshin", broker=broker, set_as_current=False)
    app.kenshin_pipeline = pipeline
    jobs, units = queue_names()
    visibility = float(os.environ.get(VISIBILITY_ENV, "3600") or "3600")
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=jobs,
        task_queues=[Queue(name) for name in (jobs, units)],  # type: ignore[no-untyped-call]
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        broker_transport_options={
            "visibility_timeout": visibility,
            "unacked_restore_interval": 2,
            "unacked_restore_throttle": 1,
            # a worker killed while it held the restore lock must not block restores for
            # kombu's default 300 s
            "unacked_mutex_expire": int(min(300.0, max(5.0, visibility / 4))),
        },
    )
    app.task(bind=True, name="kenshin.run_job", max_retries=None)(_run_job_task)
    app.task(bind=True, name="kenshin.scan_unit", max_retries=None)(_scan_unit_task)
    return app


def app_pipeline(app: Celery) -> ScanPipeline:
    """The scan pipeline ``celery_app`` gave this application's tasks."""
    return cast(ScanPipeline, app.kenshin_pipeline)


def window_wait(store: Store, spec: JobSpec) -> tuple[float | None, datetime | None]:
    """(seconds until the job may start, or None if it may start now; the window's end)."""
    if spec.engagement_code is None or spec.kind not in WINDOWED:
        return None, None
    with store.session() as session:
        engagement = EngagementRepository(session).get(spec.engagement_code)
    window = engagement.window
    if window is None:
        return None, None  # the scope check refuses it with a clear message
    now = now_utc()
    if now < window.starts_at:
        return (window.starts_at - now).total_seconds(), window.ends_at
    if now > window.ends_at:
        return WINDOW_RECHECK, window.ends_at
    return None, window.ends_at


def _pause(store: Store, job_id: str, seconds: float) -> float:
    with store.session() as session:
        JobRepository(session).set_state(
            job_id, JobState.PAUSED, f"outside the diagnosis window; next look in {seconds:.0f}s"
        )
    return min(seconds, WINDOW_RECHECK)


def _run_job_task(task: Task, job_id: str) -> None:
    store = worker_store()
    with store.session() as session:
        status = JobRepository(session).get(job_id)
    if status.state.finished:
        return
    spec = status.spec
    try:
        wait, window_end = window_wait(store, spec)
    except Exception as exc:
        _fail(store, job_id, exc)
        return
    if wait is not None:
        raise task.retry(countdown=_pause(store, job_id, wait))
    if spec.kind is JobKind.SCAN:
        try:
            dispatch_scan(task.app, store, job_id, spec)
        except Exception as exc:
            _fail(store, job_id, exc)
        return
    with SharedStop(store, job_id, window_end) as stop:
        execute(store, job_id, spec, stop, WORKER.name(), app_pipeline(task.app))


def _fail(store: Store, job_id: str, exc: BaseException) -> None:
    with store.session() as session:
        JobRepository(session).finish(job_id, JobState.FAILED, error=error_text(exc))


def dispatch_scan(app: Celery, store: Store, job_id: str, spec: JobSpec) -> int:
    """Create the run and the units (once: a re-delivered task reuses them); send the units."""
    request = scan_request(spec)
    unit_ports = int(spec.params.get("unit_ports") or DEFAULT_UNIT_PORTS)
    with store.session() as session:
        row = session.get(JobRow, job_id)
        run_uid = (row.result or {}).get("scan_run") if row is not None else None
    if not run_uid:
        _scope, addresses = build_scope(
            store, spec.engagement_code, request.targets, store_audit(store)
        )
        units = plan_units([str(a) for a in addresses], request, unit_ports)
        with store.session() as session:
            runs = ScanRunRepository(session)
            run_uid = runs.create(
                engagement_code=spec.engagement_code,
                targets=[str(a) for a in addresses],
                tcp_ports=",".join(str(p) for p in request.tcp_ports),
                udp_ports=",".join(str(p) for p in request.udp_ports),
                options={
                    "tcp_mode": request.mode.value,
                    "identify": str(request.identify),
                    "profile": request.settings.profile,
                    **request.settings.as_options(),
                    "job": job_id,
                },
                actor=spec.requested_by or current_actor(),
            )
            session.add_all(
                JobUnitRow(
                    job_id=job_id,
                    key=unit.key,
                    target=unit.target,
                    ports=unit.port_text,
                    probes=len(unit.ports),
                    state="queued",
                    attempts=0,
                    worker="",
                    error="",
                )
                for unit in units
            )
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id)
                .values(result={"scan_run": run_uid, "units": str(len(units))})
            )
    with store.session() as session:
        JobRepository(session).start(job_id, WORKER.name())
        JobRepository(session).progress(job_id, 0.0, "units queued")
        keys = list(
            session.scalars(
                select(JobUnitRow.key).where(
                    JobUnitRow.job_id == job_id, JobUnitRow.state != "done"
                )
            )
        )
        # sent now: a queued unit without a holder is in the broker from this moment
        session.execute(
            update(JobUnitRow)
            .where(
                JobUnitRow.job_id == job_id,
                JobUnitRow.state == "queued",
                JobUnitRow.worker == "",
            )
            .values(held_at=now_utc())
        )
    for key in keys:
        app.send_task("kenshin.scan_unit", args=[job_id, key], queue=scan_queue(app))
    if not keys:
        finish_if_complete(store, job_id)
    return len(keys)


def _capped(spec: JobSpec) -> Any:
    request = scan_request(spec)
    if WORKER.rate is not None:
        share = WORKER.rate / max(1, WORKER.concurrency)
        if share < request.settings.rate:
            request = replace(request, settings=request.settings.with_changes(rate=share))
    return request


def _scan_unit_task(task: Task, job_id: str, key: str) -> None:
    store = worker_store()
    with store.session() as session:
        job = session.get(JobRow, job_id)
        unit_row = session.scalar(
            select(JobUnitRow).where(JobUnitRow.job_id == job_id, JobUnitRow.key == key)
        )
        if job is None or unit_row is None:
            return
        state, unit_state = JobState(job.state), unit_row.state
        run_uid = str((job.result or {}).get("scan_run", ""))
        unit = Unit.from_row(unit_row.target, unit_row.ports)
    if state.finished:
        return
    if unit_state == "done":
        finish_if_complete(store, job_id)
        return
    with store.session() as session:
        spec = JobRepository(session).get(job_id).spec
    reason = stop_reason(store)
    if reason is not None:
        _stopped(store, job_id, reason)
        return
    wait, window_end = window_wait(store, spec)
    if wait is not None:
        raise task.retry(countdown=_pause(store, job_id, wait))
    holder = unit_holder(WORKER.name(), job_id, key)
    slot = try_lease(store, unit.target, holder)
    if slot is None:
        raise task.retry(countdown=LEASE_RETRY)
    attempt: int | None = None
    try:
        attempt = claim_unit(store, job_id, key, WORKER.name())
        if attempt is None:  # another copy of this task did it while we waited
            finish_if_complete(store, job_id)
            return
        with store.session() as session:
            JobRepository(session).start(job_id, WORKER.name())
        stop = SharedStop(store, job_id, window_end)
        with stop, _kept(store, unit.target, slot, holder, stop):
            outcome = run_unit(store, _capped(spec), unit, stop, app_pipeline(task.app))
        written = write_unit(
            store, job_id, run_uid, unit, outcome, WORKER.name(), attempt, key, spec.engagement_code
        )
    except Exception as exc:
        if window_wait(store, spec)[0] is not None:
            # the window closed as the unit began (its scope check refused): a pause
            _unit_back(store, job_id, key, attempt)
            raise task.retry(countdown=_pause(store, job_id, WINDOW_RECHECK)) from exc
        with store.session() as session:
            session.execute(
                update(JobUnitRow)
                .where(JobUnitRow.job_id == job_id, JobUnitRow.key == key)
                .values(state="failed", error=error_text(exc)[:2000])
            )
        _fail(store, job_id, exc)
        return
    finally:
        release_lease(store, unit.target, slot, holder)
    if not written:
        _log.warning("unit %s of job %s was given to another worker; result dropped", key, job_id)
        return
    if outcome.status is RunStatus.FINISHED:
        finish_if_complete(store, job_id)
    elif stop.why == "window":
        raise task.retry(countdown=_pause(store, job_id, WINDOW_RECHECK))
    elif stop.why == "stop" or stop.file_present():
        _stopped(store, job_id, stop_reason(store) or "stop")


def _unit_back(store: Store, job_id: str, key: str, attempt: int | None) -> None:
    """This attempt's unit back to queued (it will be claimed again)."""
    if attempt is None:
        return
    with store.session() as session:
        session.execute(
            update(JobUnitRow)
            .where(
                JobUnitRow.job_id == job_id,
                JobUnitRow.key == key,
                JobUnitRow.state == "running",
                JobUnitRow.attempts == attempt,
            )
            .values(state="queued")
        )


@contextmanager
def _kept(store: Store, target: str, slot: int, holder: str, stop: SharedStop) -> Iterator[None]:
    """Renew the target's lease while the unit probes; a lease lost (this worker stalled
    past it and a reaper gave the unit to another) stops this unit's probing."""
    done = threading.Event()

    def keep() -> None:
        while not done.wait(LEASE_SECONDS / 3):
            try:
                kept = renew_lease(store, target, slot, holder)
            except StoreError:
                continue  # the store blinked; the lease lasts until the next try
            if not kept:
                stop.why = stop.why or "lease"
                stop.trigger()
                return

    renewer = threading.Thread(target=keep, name="kenshin-lease", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join(timeout=5)


def reap_orphans(app: Celery, store: Store) -> int:
    """Send again every unit whose worker is gone (see ``orphaned_units``), and close the
    jobs whose units are all done (``completed_jobs``).

    The broker re-delivers such units too (RabbitMQ when the connection drops, Redis
    after ``visibility_timeout``), but only when its own bookkeeping survived; this
    looks at the store and at how many unit messages the broker holds ready, so a unit
    is never stranded whatever the broker did. A
    duplicate delivery is harmless: ``claim_unit`` under the target's lease sees the
    unit done, and ``write_unit`` accepts only the unit's newest attempt.
    """
    sent = 0
    waiting = waiting_units(app)  # asked before the store: a unit taken meanwhile is held
    for orphan in orphaned_units(store, silence=LEASE_SECONDS, stale=STALE_HOLD, waiting=waiting):
        if requeue_unit(store, orphan):
            _log.warning(
                "unit %s of job %s lost its worker; queued again", orphan.key, orphan.job_id
            )
            app.send_task(
                "kenshin.scan_unit", args=[orphan.job_id, orphan.key], queue=scan_queue(app)
            )
            sent += 1
    for job_id in completed_jobs(store):
        if finish_if_complete(store, job_id):
            _log.warning("job %s had every unit done but was not closed; closed", job_id)
    return sent


def waiting_units(app: Celery) -> int | None:
    """Unit messages ready in the broker's units queue (None: the broker did not say)."""
    try:
        with app.connection_for_write() as connection:
            declared = connection.default_channel.queue_declare(queue=scan_queue(app), passive=True)
    except ChannelError:  # no such queue: Redis drops a list once it is empty
        return 0
    except Exception:  # the broker blinked: not known this round
        return None
    return int(declared.message_count)


def _hold(sender: object = None, request: Any = None, **_: object) -> None:
    """A unit's message arrived here (maybe held for a countdown): record who holds it."""
    if request is None or getattr(request, "name", "") != "kenshin.scan_unit":
        return
    job_id, key = request.args
    try:
        hold_unit(worker_store(), job_id, key, WORKER.name())
    except StoreError:
        _log.warning("could not record that this worker holds unit %s", key)


def _reaper(app: Celery, stopped: threading.Event) -> None:
    """This worker's heartbeat, then a look for other workers' orphans, every few seconds."""
    while not stopped.wait(REAP_SECONDS):
        try:
            heartbeat(worker_store(), WORKER.name())
            reap_orphans(app, worker_store())
        except Exception:  # a broker or store blip: the next round tries again
            _log.exception("reaping orphaned units failed")


def _stopped(store: Store, job_id: str, reason: str) -> None:
    with store.session() as session:
        JobRepository(session).finish(
            job_id, JobState.FAILED, error=f"emergency stop: {reason}", message="emergency stop"
        )
        row = session.get(JobRow, job_id)
        run_uid = (row.result or {}).get("scan_run") if row is not None else None
        if run_uid:
            run = session.scalar(select(ScanRunRow).where(ScanRunRow.uid == run_uid))
            if run is not None and run.status == RunStatus.RUNNING.value:
                ScanRunRepository(session).finish(run_uid, RunStatus.INTERRUPTED)


def finish_if_complete(store: Store, job_id: str) -> bool:
    """Record progress over all units; close the run and the job when every unit is done."""
    done_units, units, done_probes, probes = unit_counts(store, job_id)
    with store.session() as session:
        JobRepository(session).progress(
            job_id,
            min(0.99, done_probes / probes) if probes else 0.0,
            f"{done_units}/{units} units, {done_probes}/{probes} probes",
        )
    if units == 0 or done_units < units:
        return False
    with store.session() as session:
        row = session.get(JobRow, job_id)
        if row is None:
            return False
        run_uid = str((row.result or {}).get("scan_run", ""))
        run = session.scalar(select(ScanRunRow).where(ScanRunRow.uid == run_uid))
        if run is None:
            return False
        if run.status == RunStatus.RUNNING.value:
            ScanRunRepository(session).finish(run_uid, RunStatus.FINISHED)
        open_ports = session.scalar(
            select(func.count())
            .select_from(ScanPortRow)
            .where(ScanPortRow.run_id == run.id, ScanPortRow.state == PortState.OPEN.value)
        )
        return JobRepository(session).finish(
            job_id,
            JobState.SUCCEEDED,
            result={
                "scan_run": run_uid,
                "status": RunStatus.FINISHED.value,
                "units": str(units),
                "hosts": str(len(run.targets)),
                "open": str(open_ports or 0),
            },
            message=f"{units}/{units} units",
        )


class CeleryRunner(StoredJobs):
    """``JobRunner`` sending jobs to Celery workers; status from the shared ``jobs`` table.

    Cancelling writes the end into the table; the units of the job see it there and stop.
    """

    name = RUNNER_NAME

    def __init__(self, store: Store, broker: str) -> None:
        super().__init__(store)
        self.broker = broker
        self.app = celery_app(broker)

    def _start(self, job_id: str, spec: JobSpec) -> None:
        self.app.send_task("kenshin.run_job", args=[job_id], queue=job_queue(self.app))


def start_worker(
    broker: str,
    *,
    concurrency: int = 2,
    queues: tuple[str, ...] = (),
    rate: float | None = None,
    label: str = "",
    loglevel: str = "INFO",
    pipeline: ScanPipeline = PORTS_ONLY,
) -> None:
    """Run a Celery worker in this process (threads pool) until it is stopped.

    ``queues`` defaults to both of ``queue_names()``. The worker's reaper thread runs
    beside it (see ``reap_orphans``). Its scans run ``pipeline``, composed by the caller.
    """
    WORKER.label = label or f"kenshin-{os.getpid()}"
    WORKER.rate = rate
    WORKER.concurrency = max(1, concurrency)
    worker_store()  # open (and migrate) the store before taking any task
    app = celery_app(broker, pipeline)
    heartbeat(worker_store(), WORKER.name())
    task_received.connect(_hold, weak=False)
    stopped = threading.Event()
    reaper = threading.Thread(
        target=_reaper, args=(app, stopped), name="kenshin-reaper", daemon=True
    )
    reaper.start()
    try:
        app.worker_main(
            argv=[
                "worker",
                "--pool=threads",
                f"--concurrency={WORKER.concurrency}",
                f"--queues={','.join(queues or queue_names())}",
                # the pid keeps two workers with one label apart (RabbitMQ refuses a
                # second consumer of a node's exclusive control queue)
                f"--hostname={WORKER.label}-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
                f"--loglevel={loglevel}",
            ]
        )
    finally:
        stopped.set()
        reaper.join(timeout=5)
