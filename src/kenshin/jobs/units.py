"""A scan split into units (one host x one port range), and the unit's idempotent write.

``plan_units`` cuts a scan job into units; ``claim_unit`` marks one running for a
worker and numbers the attempt; ``run_unit`` scans it with the scan engine
(``run_scan``) and ``write_unit`` replaces that unit's rows of the scan run in one
transaction, so a unit done twice (its worker died after probing, the broker or the
reaper gave it to another worker) leaves exactly one copy of each result. The attempt
number fences the write: a worker that lost its unit (it stalled past its lease and
the unit was given to another) cannot overwrite the newer attempt's rows.

``orphaned_units`` finds the units a reaper must send again: running units whose
worker no longer holds their target's lease (it died, or stalled past the lease),
queued units whose message sits in a dead worker (received and held for a countdown:
waiting for the target's lease or for the diagnosis window; ``hold_unit`` records who
holds it, ``job_workers`` who is alive), and queued units whose message a worker took
from the broker but died before it could record the hold (the queue, first in first
out, holds fewer messages than units sent and not yet received). ``requeue_unit``
takes one back, once, whichever worker's reaper asks first.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, select, update

from kenshin.domain import Finding, PortResult, PortState, Protocol
from kenshin.jobs.model import JobError
from kenshin.scan.engine import RunStatus, ScanOutcome, ScanPipeline, ScanPlan, run_scan
from kenshin.scan.pacing import EmergencyStop
from kenshin.scan.ports import parse_ports
from kenshin.scan.session import ScanRequest, build_scope, store_audit
from kenshin.scan.storage import ScanRunRepository
from kenshin.scope import current_actor
from kenshin.store import FindingRepository, Store, rows_changed
from kenshin.store.models_jobs import JobLeaseRow, JobRow, JobUnitRow, JobWorkerRow
from kenshin.store.models_scan import ScanPortRow, ScanRunRow

DEFAULT_UNIT_PORTS = 100


@dataclass(frozen=True)
class Unit:
    """One host and one contiguous slice of the job's port list, of one protocol."""

    target: str
    protocol: Protocol
    ports: tuple[int, ...]

    @property
    def key(self) -> str:
        return f"{self.target}/{self.protocol.value}/{self.ports[0]}-{self.ports[-1]}"

    @property
    def port_text(self) -> str:
        return f"{self.protocol.value}:" + ",".join(str(p) for p in self.ports)

    @classmethod
    def from_row(cls, target: str, ports: str) -> Unit:
        protocol, _, listed = ports.partition(":")
        chosen = Protocol(protocol)
        return cls(target, chosen, parse_ports(listed, chosen))


def plan_units(
    addresses: Sequence[str], request: ScanRequest, unit_ports: int = DEFAULT_UNIT_PORTS
) -> list[Unit]:
    """Every address x every slice of ``unit_ports`` ports (TCP slices, then UDP slices).

    Ports are sorted first, so a unit's key (address/protocol/first-last) is the same
    whether it is computed from the plan or from the unit's stored port list.
    """
    size = max(1, unit_ports)
    units: list[Unit] = []
    tcp, udp = tuple(sorted(set(request.tcp_ports))), tuple(sorted(set(request.udp_ports)))
    for address in addresses:
        for protocol, ports in (
            (Protocol.TCP, tcp),
            (Protocol.UDP, udp),
        ):
            for start in range(0, len(ports), size):
                units.append(Unit(address, protocol, tuple(ports[start : start + size])))
    return units


class _Collector:
    """Keeps one unit's results in memory until the unit is written as a whole."""

    def __init__(self) -> None:
        self.results: dict[tuple[Protocol, int], PortResult] = {}

    def planned(self, hosts: int, probes: int) -> None:
        return None

    def port(
        self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None:
        self.results[(protocol, port)] = PortResult(protocol, port, state, reason)

    def identified(self, address: str, result: PortResult) -> None:
        self.results[(result.protocol, result.port)] = result


@dataclass(frozen=True)
class UnitOutcome:
    status: RunStatus
    results: tuple[PortResult, ...]
    tcp_mode: str
    findings: tuple[Finding, ...] = ()
    """What the post-scan stages (the diagnosis) found on this unit's ports."""


def run_unit(
    store: Store, request: ScanRequest, unit: Unit, stop: EmergencyStop, pipeline: ScanPipeline
) -> UnitOutcome:
    """Scan one unit with the scan engine and the worker's ``pipeline``; the scope is
    checked again for this moment."""
    scope, addresses = build_scope(store, request.engagement, (unit.target,), store_audit(store))
    plan = ScanPlan(
        tuple(str(a) for a in addresses),
        unit.ports if unit.protocol is Protocol.TCP else (),
        unit.ports if unit.protocol is Protocol.UDP else (),
        request.mode,
        request.identify,
    )
    collector = _Collector()
    outcome: ScanOutcome = asyncio.run(
        run_scan(
            plan,
            scope,
            request.settings,
            stop=stop,
            pipeline=pipeline,
            listener=collector,
            audit=store_audit(store),
            actor=current_actor(),
        )
    )
    return UnitOutcome(
        outcome.status,
        tuple(collector.results.values()),
        outcome.tcp_mode.value if outcome.tcp_mode else "",
        tuple(f for host in outcome.report.hosts for f in host.findings),
    )


def unit_holder(worker: str, job_id: str, key: str) -> str:
    """Who holds a target's lease while ``worker`` probes this unit: unique per task run
    (two copies of one unit in one worker never share a lease); the part before `` #``
    is how a reaper tells a live unit from an orphan."""
    return f"{_unit_of_holder(worker, job_id, key)} #{uuid.uuid4().hex[:12]}"


def _unit_of_holder(worker: str, job_id: str, key: str) -> str:
    return f"{worker} {job_id} {key}"


def claim_unit(store: Store, job_id: str, key: str, worker: str) -> int | None:
    """Mark the unit running for ``worker``: its new attempt number, None when it is done.

    Called while holding the target's lease, so it also re-checks a unit that another
    copy of its task finished meanwhile (a duplicate delivery then does nothing).
    """
    with store.session() as session:
        row = session.scalar(
            select(JobUnitRow)
            .where(JobUnitRow.job_id == job_id, JobUnitRow.key == key)
            .with_for_update()
        )
        if row is None or row.state == "done":
            return None
        row.state = "running"
        row.attempts = row.attempts + 1
        row.worker = worker
        row.started_at = datetime.now(UTC)
        row.error = ""
        return row.attempts


def write_unit(
    store: Store,
    job_id: str,
    run_uid: str,
    unit: Unit,
    outcome: UnitOutcome,
    worker: str,
    attempt: int,
    key: str | None = None,
    engagement_code: str | None = None,
) -> bool:
    """Replace the unit's rows in the run and mark the unit done, in one transaction.

    Only the unit's current ``attempt`` may write (False, and nothing written, for an
    older one). Findings of the unit's diagnosis are recorded for the engagement in the
    same transaction (the finding store dedupes by fingerprint, so a repeat adds nothing).
    """
    done = outcome.status is RunStatus.FINISHED
    with store.session() as session:
        run_id = session.scalar(select(ScanRunRow.id).where(ScanRunRow.uid == run_uid))
        if run_id is None:
            raise JobError("jobs.not_found", id=run_uid)
        owned = session.execute(
            update(JobUnitRow)
            .where(
                JobUnitRow.job_id == job_id,
                JobUnitRow.key == (key or unit.key),
                JobUnitRow.state == "running",
                JobUnitRow.attempts == attempt,
            )
            .values(
                state="done" if done else "queued",
                worker=worker,
                finished_at=datetime.now(UTC) if done else None,
            )
        )
        if not rows_changed(owned):
            return False
        session.execute(
            delete(ScanPortRow).where(
                ScanPortRow.run_id == run_id,
                ScanPortRow.address == unit.target,
                ScanPortRow.protocol == unit.protocol.value,
                ScanPortRow.port.in_(unit.ports),
            )
        )
        ScanRunRepository(session).add_ports(
            run_uid, [(unit.target, result) for result in outcome.results]
        )
        if engagement_code is not None and outcome.findings:
            FindingRepository(session).record(engagement_code, outcome.findings)
    return True


def hold_unit(store: Store, job_id: str, key: str, worker: str) -> None:
    """Record that ``worker`` holds the unit's message (it received it; not done yet)."""
    with store.session() as session:
        session.execute(
            update(JobUnitRow)
            .where(JobUnitRow.job_id == job_id, JobUnitRow.key == key, JobUnitRow.state == "queued")
            .values(worker=worker, held_at=datetime.now(UTC))
        )


@dataclass(frozen=True)
class Orphan:
    """A unit to send again: its state and who had it when the reaper looked."""

    job_id: str
    key: str
    state: str
    attempt: int
    worker: str


ACTIVE_JOBS = ("running", "paused")


def orphaned_units(
    store: Store,
    silence: float,
    stale: float,
    now: datetime | None = None,
    waiting: int | None = None,
) -> list[Orphan]:
    """Units of running or paused jobs whose worker is gone.

    Running: no live lease of the unit's holder on its target. Queued and received
    before (``hold_unit``): its holder's heartbeat is older than ``silence`` seconds, or
    nobody has received its message for ``stale`` seconds (a message that went to a
    worker which died before it could record the hold; the holding worker re-receives
    a unit at each countdown, so a live hold is never that old). Queued and not received
    since it was sent (no holder, ``held_at`` is when it was sent): ``waiting`` is how
    many messages the broker's units queue holds ready; the queue hands them out oldest
    first, so when fewer wait than such units, the oldest of these units were taken by
    a worker that never said so (it died first, and Redis would give the message back
    only after its visibility timeout): those sent more than ``stale`` seconds ago are
    orphans. ``waiting`` None (the broker did not say): every such unit older than
    ``stale`` is.
    """
    moment = now or datetime.now(UTC)
    with store.session() as session:
        units = session.execute(
            select(
                JobUnitRow.job_id,
                JobUnitRow.key,
                JobUnitRow.state,
                JobUnitRow.attempts,
                JobUnitRow.worker,
                JobUnitRow.held_at,
            )
            .join(JobRow, JobRow.id == JobUnitRow.job_id)
            .where(
                JobRow.state.in_(ACTIVE_JOBS),
                (JobUnitRow.state == "running")
                | ((JobUnitRow.state == "queued") & JobUnitRow.held_at.is_not(None)),
            )
        ).all()
        if not units:
            return []
        live_holders = {
            holder.rsplit(" #", 1)[0]
            for holder in session.scalars(
                select(JobLeaseRow.holder).where(JobLeaseRow.expires_at > moment)
            )
        }
        live_workers = set(
            session.scalars(
                select(JobWorkerRow.name).where(
                    JobWorkerRow.seen_at > moment - timedelta(seconds=silence)
                )
            )
        )
    orphans = []
    unheld: list[tuple[datetime, Orphan]] = []
    old = moment - timedelta(seconds=stale)
    for row in units:
        orphan = Orphan(row.job_id, row.key, row.state, row.attempts, row.worker)
        if row.state == "running":
            if _unit_of_holder(row.worker, row.job_id, row.key) not in live_holders:
                orphans.append(orphan)
            continue
        held = row.held_at if row.held_at.tzinfo else row.held_at.replace(tzinfo=UTC)
        if row.worker == "":
            unheld.append((held, orphan))
        elif row.worker not in live_workers or held < old:
            orphans.append(orphan)
    unheld.sort(key=lambda item: item[0])
    taken = len(unheld) - waiting if waiting is not None else len(unheld)
    orphans += [orphan for sent, orphan in unheld[: max(0, taken)] if sent < old]
    return orphans


def completed_jobs(store: Store) -> list[str]:
    """Running jobs every unit of which is done: their last unit's worker died between
    writing the unit and closing the job (nothing else would close it but the broker's
    re-delivery of that unit's message, on Redis after the visibility timeout)."""
    with store.session() as session:
        return list(
            session.scalars(
                select(JobUnitRow.job_id)
                .join(JobRow, JobRow.id == JobUnitRow.job_id)
                .where(JobRow.state == "running")
                .group_by(JobUnitRow.job_id)
                .having(func.sum(case((JobUnitRow.state == "done", 0), else_=1)) == 0)
            )
        )


def requeue_unit(store: Store, orphan: Orphan) -> bool:
    """Back to queued, held by nobody; False when another reaper (or the unit's own
    worker) changed it first."""
    with store.session() as session:
        done = session.execute(
            update(JobUnitRow)
            .where(
                JobUnitRow.job_id == orphan.job_id,
                JobUnitRow.key == orphan.key,
                JobUnitRow.state == orphan.state,
                JobUnitRow.attempts == orphan.attempt,
                JobUnitRow.worker == orphan.worker,
            )
            .values(
                state="queued",
                worker="",
                held_at=datetime.now(UTC),
                error=f"sent again: {orphan.worker or 'its message'} went silent",
            )
        )
    return bool(rows_changed(done))


def unit_counts(store: Store, job_id: str) -> tuple[int, int, int, int]:
    """(units done, units in all, probes done, probes in all) of a job."""
    with store.session() as session:
        rows = session.execute(
            select(JobUnitRow.state, func.count(), func.coalesce(func.sum(JobUnitRow.probes), 0))
            .where(JobUnitRow.job_id == job_id)
            .group_by(JobUnitRow.state)
        ).all()
    units = sum(int(r[1]) for r in rows)
    probes = sum(int(r[2]) for r in rows)
    done_units = sum(int(r[1]) for r in rows if r[0] == "done")
    done_probes = sum(int(r[2]) for r in rows if r[0] == "done")
    return done_units, units, done_probes, probes
