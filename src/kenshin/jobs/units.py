"""A scan split into units (one host x one port range), and the unit's idempotent write.

``plan_units`` cuts a scan job into units; ``run_unit`` scans one unit with the scan
engine (``run_scan``) and ``write_unit`` replaces that unit's rows of the scan run in
one transaction, so a unit done twice (its worker died after probing, the broker gave
it to another worker) leaves exactly one copy of each result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update

from kenshin.domain import Finding, PortResult, PortState, Protocol
from kenshin.jobs.model import JobError
from kenshin.scan.engine import (
    POST_SCAN_STAGES,
    RunStatus,
    ScanOutcome,
    ScanPlan,
    registered_identifier,
    run_scan,
)
from kenshin.scan.pacing import EmergencyStop
from kenshin.scan.ports import parse_ports
from kenshin.scan.session import ScanRequest, build_scope, store_audit
from kenshin.scan.storage import ScanRunRepository
from kenshin.scope import current_actor
from kenshin.store import FindingRepository, Store
from kenshin.store.models_jobs import JobUnitRow
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


def run_unit(store: Store, request: ScanRequest, unit: Unit, stop: EmergencyStop) -> UnitOutcome:
    """Scan one unit with the scan engine; the scope is checked again for this moment."""
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
            identifier=registered_identifier() if request.identify else None,
            stages=list(POST_SCAN_STAGES) if request.identify else [],
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


def write_unit(
    store: Store,
    job_id: str,
    run_uid: str,
    unit: Unit,
    outcome: UnitOutcome,
    worker: str,
    key: str | None = None,
    engagement_code: str | None = None,
) -> None:
    """Replace the unit's rows in the run and mark the unit done, in one transaction.

    Findings of the unit's diagnosis are recorded for the engagement in the same
    transaction (the finding store dedupes by fingerprint, so a repeat adds nothing).
    """
    done = outcome.status is RunStatus.FINISHED
    with store.session() as session:
        run_id = session.scalar(select(ScanRunRow.id).where(ScanRunRow.uid == run_uid))
        if run_id is None:
            raise JobError("jobs.not_found", id=run_uid)
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
        session.execute(
            update(JobUnitRow)
            .where(JobUnitRow.job_id == job_id, JobUnitRow.key == (key or unit.key))
            .values(
                state="done" if done else "queued",
                worker=worker,
                finished_at=datetime.now(UTC) if done else None,
            )
        )


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
