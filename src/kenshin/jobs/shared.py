"""What all workers share through the store: per-target leases and the global stop.

Politeness across workers: a unit holds one of its target's lease slots (``job_leases``,
primary key target + slot) while it probes; with one slot per target (the default) at
most one unit probes a host at any moment, whichever worker runs it, so the scan
profile's per-host limits (connections in flight, probes per second) hold for the
whole fleet. Leases expire unless renewed, so a worker that dies frees its host.
The design needs only the store (PostgreSQL), so it is the same with Redis and with
RabbitMQ as broker.

The global emergency stop is a row in ``job_controls``; every running unit polls it
(and its job's state and diagnosis window) twice a second and triggers the scan
engine's ``EmergencyStop``, which the senders consult before each batch of probes.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select, update

from kenshin.jobs.model import JobState
from kenshin.scan.pacing import EmergencyStop
from kenshin.store import Store, StoreError, rows_changed
from kenshin.store.models_jobs import JobControlRow, JobLeaseRow, JobRow, JobWorkerRow

STOP = "emergency_stop"
LEASE_ENV = "KENSHIN_LEASE_SECONDS"
LEASE_SECONDS = float(os.environ.get(LEASE_ENV, "30") or "30")
"""How long a lease lives without renewal (a dead worker frees its host after this)."""
POLL_SECONDS = 0.5


def now_utc() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def try_lease(store: Store, target: str, holder: str, slots: int = 1) -> int | None:
    """Take a free slot of ``target``'s lease (expired ones are free); None when all are held."""
    for slot in range(max(1, slots)):
        try:
            with store.session() as session:
                current = session.get(JobLeaseRow, (target, slot))
                if current is not None:
                    if _aware(current.expires_at) > now_utc() and current.holder != holder:
                        continue
                    session.delete(current)
                    session.flush()
                session.add(
                    JobLeaseRow(
                        target=target,
                        slot=slot,
                        holder=holder,
                        expires_at=now_utc() + timedelta(seconds=LEASE_SECONDS),
                    )
                )
        except StoreError:
            continue  # another worker took this slot at the same moment
        return slot
    return None


def renew_lease(store: Store, target: str, slot: int, holder: str) -> bool:
    with store.session() as session:
        done = session.execute(
            update(JobLeaseRow)
            .where(
                JobLeaseRow.target == target,
                JobLeaseRow.slot == slot,
                JobLeaseRow.holder == holder,
            )
            .values(expires_at=now_utc() + timedelta(seconds=LEASE_SECONDS))
        )
    return bool(rows_changed(done))


def release_lease(store: Store, target: str, slot: int, holder: str) -> None:
    with store.session() as session:
        session.execute(
            delete(JobLeaseRow).where(
                JobLeaseRow.target == target,
                JobLeaseRow.slot == slot,
                JobLeaseRow.holder == holder,
            )
        )


WORKER_FORGOTTEN = timedelta(days=1)
"""A worker silent this long is dropped from ``job_workers``."""


def heartbeat(store: Store, worker: str) -> None:
    """Record that ``worker`` is alive now (and forget workers silent for a day)."""
    moment = now_utc()
    with store.session() as session:
        row = session.get(JobWorkerRow, worker)
        if row is None:
            session.add(JobWorkerRow(name=worker, seen_at=moment))
        else:
            row.seen_at = moment
        session.execute(
            delete(JobWorkerRow).where(JobWorkerRow.seen_at < moment - WORKER_FORGOTTEN)
        )


def stop_reason(store: Store) -> str | None:
    """The global stop's reason when it is raised, else None."""
    with store.session() as session:
        row = session.get(JobControlRow, STOP)
        return None if row is None else (row.value or "stop")


def raise_stop(store: Store, reason: str, by: str) -> None:
    with store.session() as session:
        row = session.get(JobControlRow, STOP)
        if row is None:
            session.add(
                JobControlRow(name=STOP, value=reason or "stop", set_by=by, set_at=now_utc())
            )
        else:
            row.value, row.set_by, row.set_at = reason or "stop", by, now_utc()


def clear_stop(store: Store) -> bool:
    with store.session() as session:
        done = session.execute(delete(JobControlRow).where(JobControlRow.name == STOP))
    return bool(rows_changed(done))


class SharedStop(EmergencyStop):
    """The scan engine's ``EmergencyStop``, also triggered by the store.

    A watcher thread looks at the global stop row, the job's state (cancelled) and the
    diagnosis window's end every ``POLL_SECONDS``; ``why`` says what triggered it.
    """

    def __init__(
        self,
        store: Store,
        job_id: str,
        window_end: datetime | None = None,
        path: Path | None = None,
    ) -> None:
        super().__init__(path)
        self.store = store
        self.job_id = job_id
        self.window_end = window_end
        self.why = ""
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="kenshin-stop", daemon=True)

    def check(self) -> str:
        """Look once; the reason to stop ('' to go on)."""
        if self.file_present():
            return "stop"
        if stop_reason(self.store) is not None:
            return "stop"
        with self.store.session() as session:
            state = session.scalar(select(JobRow.state).where(JobRow.id == self.job_id))
        if state == JobState.CANCELLED.value:
            return "cancelled"
        if self.window_end is not None and now_utc() > self.window_end:
            return "window"
        return ""

    def _watch(self) -> None:
        while not self._done.wait(POLL_SECONDS):
            try:
                why = self.check()
            except StoreError:
                continue
            if why:
                self.why = why
                self.trigger()
                return

    def __enter__(self) -> SharedStop:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)
