"""Scan runs in the engagement store: create, write ports as they come, finish, read back."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from kenshin.domain import (
    Confidence,
    HostResult,
    PortCount,
    PortResult,
    PortState,
    Protocol,
    ScanReport,
    ServiceIdentity,
)
from kenshin.domain.clock import as_utc
from kenshin.scan.collect import PortKey
from kenshin.scan.engine import RunStatus
from kenshin.scan.errors import ScanError
from kenshin.scan.export import LIST_LIMIT, device_document, device_from_document
from kenshin.scan.ports import parse_ports
from kenshin.store import Store
from kenshin.store.models import EngagementRow
from kenshin.store.models_scan import ScanPortRow, ScanRunRow


@dataclass(frozen=True)
class StoredRun:
    """A scan run's record (without its ports)."""

    uid: str
    engagement_code: str | None
    source: str
    status: RunStatus
    actor: str
    started_at: datetime
    finished_at: datetime | None
    tcp_mode: str
    targets: tuple[str, ...]
    tcp_ports: str
    udp_ports: str
    options: dict[str, Any]
    notes: tuple[str, ...]

    @property
    def active_seconds(self) -> float:
        """Seconds the run spent scanning, over all its parts (a resumed run has several).

        Each part keeps its start and its last sign of life (every write of results), so
        a part ended by SIGKILL still counts up to its last stored result.
        """
        total = 0.0
        for part in self.options.get("parts", []):
            try:
                began = datetime.fromisoformat(str(part["started"]))
                until = datetime.fromisoformat(str(part["until"]))
            except (KeyError, TypeError, ValueError):
                continue
            total += max(0.0, (until - began).total_seconds())
        return total

    def coverage(self) -> list[dict[str, Any]]:
        """What was probed at each address: ports and protocols, profile, rate, when.

        The report shows this per address; the rate is the ceiling the run paced under
        and ``rate_changes`` what the adaptive pacing did below it.
        """
        options = self.options
        tcp_count = len(parse_ports(self.tcp_ports)) if self.tcp_ports else 0
        udp_count = len(parse_ports(self.udp_ports, Protocol.UDP)) if self.udp_ports else 0
        return [
            {
                "address": address,
                "tcp_ports": self.tcp_ports,
                "tcp_count": tcp_count,
                "udp_ports": self.udp_ports,
                "udp_count": udp_count,
                "tcp_mode": self.tcp_mode or str(options.get("tcp_mode", "")),
                "profile": str(options.get("profile", "")),
                "rate": _number(options.get("rate")),
                "target_rate": _number(options.get("target_rate")),
                "adaptive": str(options.get("adaptive", "False")) == "True",
                "rate_changes": list(options.get("rate_changes", [])),
                "port_choice": str(options.get("port_choice", "")),
                "started_at": self.started_at.isoformat(timespec="seconds"),
                "finished_at": (
                    self.finished_at.isoformat(timespec="seconds") if self.finished_at else None
                ),
                "status": self.status.value,
            }
            for address in self.targets
        ]


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _run(row: ScanRunRow) -> StoredRun:
    started = as_utc(row.started_at)
    assert started is not None
    return StoredRun(
        uid=row.uid,
        engagement_code=row.engagement_code,
        source=row.source,
        status=RunStatus(row.status),
        actor=row.actor,
        started_at=started,
        finished_at=as_utc(row.finished_at),
        tcp_mode=row.tcp_mode,
        targets=tuple(row.targets),
        tcp_ports=row.tcp_ports,
        udp_ports=row.udp_ports,
        options=dict(row.options),
        notes=tuple(row.notes),
    )


def _port_values(run_id: int, address: str, result: PortResult) -> dict[str, Any]:
    identity = result.identity
    return {
        "run_id": run_id,
        "address": address,
        "protocol": result.protocol.value,
        "port": result.port,
        "state": result.state.value,
        "reason": result.reason[:64],
        "service": identity.service[:100] if identity else "",
        "product": identity.product[:200] if identity else "",
        "version": identity.version[:200] if identity else "",
        "cpe": list(identity.cpe) if identity else [],
        "confidence": identity.confidence.value if identity else None,
        "evidence": identity.evidence if identity else "",
        "extra": [list(pair) for pair in identity.extra] if identity else [],
    }


def _port_result(row: ScanPortRow) -> PortResult:
    identity = None
    if row.service or row.product or row.version or row.confidence:
        identity = ServiceIdentity(
            service=row.service,
            product=row.product,
            version=row.version,
            cpe=tuple(row.cpe),
            confidence=Confidence(row.confidence or "low"),
            evidence=row.evidence,
            extra=tuple((str(k), str(v)) for k, v in row.extra),
        )
    return PortResult(Protocol(row.protocol), row.port, PortState(row.state), row.reason, identity)


class ScanRunRepository:
    """Scan runs of one store session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, uid: str) -> ScanRunRow:
        row = self.session.scalar(select(ScanRunRow).where(ScanRunRow.uid == uid))
        if row is None:
            raise ScanError("scan.no_run", uid=uid)
        return row

    def create(
        self,
        *,
        engagement_code: str | None,
        targets: Sequence[str],
        tcp_ports: str,
        udp_ports: str,
        options: dict[str, Any],
        actor: str,
        source: str = "kenshin",
        started_at: datetime | None = None,
        status: RunStatus = RunStatus.RUNNING,
    ) -> str:
        engagement_id = None
        if engagement_code is not None:
            engagement_id = self.session.scalar(
                select(EngagementRow.id).where(EngagementRow.code == engagement_code)
            )
            if engagement_id is None:
                raise ScanError("scan.no_engagement", code=engagement_code)
        uid = str(uuid.uuid4())
        self.session.add(
            ScanRunRow(
                uid=uid,
                engagement_id=engagement_id,
                engagement_code=engagement_code,
                source=source,
                status=status.value,
                actor=actor,
                started_at=started_at or datetime.now(UTC),
                targets=list(targets),
                tcp_ports=tcp_ports,
                udp_ports=udp_ports,
                options=options,
                notes=[],
            )
        )
        self.session.flush()
        return uid

    def add_ports(self, uid: str, results: Sequence[tuple[str, PortResult]]) -> None:
        if not results:
            return
        run_id = self._row(uid).id
        self.session.execute(
            insert(ScanPortRow), [_port_values(run_id, address, r) for address, r in results]
        )

    def set_identity(self, uid: str, address: str, result: PortResult) -> None:
        run_id = self._row(uid).id
        values = _port_values(run_id, address, result)
        self.session.execute(
            delete(ScanPortRow).where(
                ScanPortRow.run_id == run_id,
                ScanPortRow.address == address,
                ScanPortRow.protocol == result.protocol.value,
                ScanPortRow.port == result.port,
            )
        )
        self.session.execute(insert(ScanPortRow), [values])

    def finish(
        self,
        uid: str,
        status: RunStatus,
        *,
        tcp_mode: str = "",
        notes: Sequence[str] = (),
        finished_at: datetime | None = None,
    ) -> None:
        row = self._row(uid)
        row.status = status.value
        row.finished_at = finished_at or datetime.now(UTC)
        if tcp_mode:
            row.tcp_mode = tcp_mode
        row.notes = list(dict.fromkeys([*row.notes, *notes]))
        self.session.flush()

    def record_devices(self, uid: str, hosts: Sequence[HostResult]) -> None:
        """Keep the run's fused devices (what the diagnosis judged), per address."""
        row = self._row(uid)
        row.devices = {
            host.address: [device_document(d) for d in host.devices]
            for host in hosts
            if host.devices
        }
        self.session.flush()

    def mark_running(self, uid: str) -> None:
        row = self._row(uid)
        row.status = RunStatus.RUNNING.value
        row.finished_at = None
        self.session.flush()

    def begin_part(self, uid: str, at: datetime | None = None) -> None:
        """A part of the run starts (the first, or a ``--resume``)."""
        row = self._row(uid)
        moment = (at or datetime.now(UTC)).isoformat()
        parts = [*row.options.get("parts", []), {"started": moment, "until": moment}]
        row.options = {**row.options, "parts": parts}
        self.session.flush()

    def touch(self, uid: str, at: datetime | None = None) -> None:
        """The current part is alive at ``at`` (results were just written)."""
        row = self._row(uid)
        parts = list(row.options.get("parts", []))
        if not parts:
            return
        parts[-1] = {**parts[-1], "until": (at or datetime.now(UTC)).isoformat()}
        row.options = {**row.options, "parts": parts}
        self.session.flush()

    def update_options(self, uid: str, values: dict[str, Any]) -> None:
        row = self._row(uid)
        row.options = {**row.options, **values}
        self.session.flush()

    def get(self, uid: str) -> StoredRun:
        return _run(self._row(uid))

    def runs(self, engagement_code: str | None) -> list[StoredRun]:
        query = select(ScanRunRow).order_by(ScanRunRow.started_at.desc(), ScanRunRow.id.desc())
        if engagement_code is None:
            query = query.where(ScanRunRow.engagement_code.is_(None))
        else:
            query = query.where(ScanRunRow.engagement_code == engagement_code)
        return [_run(r) for r in self.session.scalars(query)]

    def latest_finished(self, engagement_code: str | None) -> StoredRun | None:
        """The newest finished run: the one the diagnosis and the report take by default."""
        return next((r for r in self.runs(engagement_code) if r.status is RunStatus.FINISHED), None)

    def latest_resumable(self, engagement_code: str | None) -> StoredRun | None:
        for run in self.runs(engagement_code):
            if run.source == "kenshin" and run.status in (RunStatus.INTERRUPTED, RunStatus.RUNNING):
                return run
        return None

    def results(self, uid: str) -> dict[PortKey, PortResult]:
        run_id = self._row(uid).id
        rows = self.session.scalars(select(ScanPortRow).where(ScanPortRow.run_id == run_id))
        return {(r.address, Protocol(r.protocol), r.port): _port_result(r) for r in rows}

    def report(self, uid: str, list_limit: int | None = LIST_LIMIT) -> ScanReport:
        """The run as a report; a host's closed or filtered ports sharing a reason are
        counted in ``extraports`` once there are more than ``list_limit`` of them (as the
        scan's own report and nmap do: a full-range run would otherwise list 65,535
        closed ports per address). Open, ``open|filtered`` and identified ports are
        always listed; ``list_limit=None`` lists every port."""
        run = self.get(uid)
        found = self.results(uid)
        hosts: dict[str, list[PortResult]] = {address: [] for address in run.targets}
        for (address, _protocol, _port), result in sorted(
            found.items(), key=lambda item: (item[0][0], item[0][1].value, item[0][2])
        ):
            hosts.setdefault(address, []).append(result)
        stored = self._row(uid).devices
        results = []
        for address, ports in hosts.items():
            host = _grouped(address, ports, list_limit)
            # runs stored before devices existed (NULL) have none; the diagnosis fuses
            # them again from the ports, with the engagement's records
            devices = tuple(
                device_from_document(address, i, d)
                for i, d in enumerate((stored or {}).get(address, []))
            )
            results.append(replace(host, devices=devices))
        return ScanReport(run.started_at, run.finished_at or datetime.now(UTC), tuple(results))


def _grouped(address: str, ports: list[PortResult], list_limit: int | None) -> HostResult:
    if list_limit is None:
        return HostResult(address, tuple(ports))
    groups = Counter(
        (p.protocol, p.state, p.reason)
        for p in ports
        if p.identity is None and p.state not in (PortState.OPEN, PortState.OPEN_FILTERED)
    )
    counted = {key for key, count in groups.items() if count > list_limit}
    listed = tuple(
        p for p in ports if p.identity is not None or (p.protocol, p.state, p.reason) not in counted
    )
    extra = tuple(
        PortCount(protocol, state, reason, groups[(protocol, state, reason)])
        for protocol, state, reason in sorted(counted, key=lambda k: (k[0].value, k[1].value, k[2]))
    )
    return HostResult(address, listed, (), extra)


class StoreListener:
    """A ``ScanListener`` that writes ports to the store in batches as they are found.

    Each batch is its own transaction, so whatever was written survives a stop,
    Ctrl-C or a crash; ``flush()`` writes the rest.
    """

    def __init__(self, store: Store, uid: str, batch: int = 5000, seconds: float = 1.0) -> None:
        self.store = store
        self.uid = uid
        self.batch = batch
        self.seconds = seconds
        self._buffer: list[tuple[str, PortResult]] = []
        self._identities: list[tuple[str, PortResult]] = []
        self._last = time.monotonic()

    def planned(self, hosts: int, probes: int) -> None:
        return None

    def port(
        self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None:
        self._buffer.append((address, PortResult(protocol, port, state, reason)))
        if len(self._buffer) >= self.batch or time.monotonic() - self._last >= self.seconds:
            self.flush()

    def identified(self, address: str, result: PortResult) -> None:
        self._identities.append((address, result))
        self.flush()

    def flush(self) -> None:
        self._last = time.monotonic()
        if not self._buffer and not self._identities:
            return
        buffer, self._buffer = self._buffer, []
        identities, self._identities = self._identities, []
        with self.store.session() as session:
            repository = ScanRunRepository(session)
            repository.add_ports(self.uid, buffer)
            for address, result in identities:
                repository.set_identity(self.uid, address, result)
            repository.touch(self.uid)
