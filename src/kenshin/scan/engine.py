"""The scan pipeline: scope check, TCP (SYN or connect), UDP, identification, post-scan stages.

``run_scan`` is the one entry point. It refuses unauthorised targets before any packet
(and every probe asks the gate again), writes the audit events, reports each port to
an optional listener as it is found (so an interrupted scan keeps what it found), and
then hands the open ports to the injected ``ServiceIdentifier`` and the report to each
``PostScanStage`` in turn (the diagnosis checks plug in there).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from ipaddress import IPv4Address, ip_address
from typing import TYPE_CHECKING, Any
from typing import Protocol as TypingProtocol

from kenshin.domain import (
    AuditOutcome,
    HostResult,
    PortCount,
    PortResult,
    PortState,
    Protocol,
    ScanReport,
)
from kenshin.scan.errors import ScanError
from kenshin.scan.pacing import (
    AdaptiveRate,
    EmergencyStop,
    RateChange,
    TargetPacing,
    TokenBucket,
)
from kenshin.scan.settings import ScanSettings, TcpMode
from kenshin.scan.state import Outcomes, PortTable
from kenshin.scan.tcp_syn import SynScan, syn_available, syn_scan
from kenshin.scope import AuditSink, Gate, Scope, current_actor

if TYPE_CHECKING:  # imported where used: a SYN scan needs neither (nor asyncio, nor YAML)
    from kenshin.scan.udp import UdpSummary

PortKey = tuple[str, Protocol, int]


class RunStatus(StrEnum):
    RUNNING = "running"
    INTERRUPTED = "interrupted"
    FINISHED = "finished"
    FAILED = "failed"


class ServiceIdentifier(TypingProtocol):
    """Fills ``PortResult.identity`` for a host's open ports (``kenshin.identify`` does this).

    Called once per host with its open ports, after the port scan; it returns the
    same ports with identities filled in. Every contact passes ``gate``, the scan's
    own (the address has passed it already).
    """

    async def __call__(
        self, address: str, ports: Sequence[PortResult], gate: Gate
    ) -> tuple[PortResult, ...]: ...


@dataclass(frozen=True)
class ScanContext:
    """What a post-scan stage may use: the scope, the settings and the gate."""

    scope: Scope
    settings: ScanSettings
    gate: Gate
    stop: EmergencyStop


class PostScanStage(TypingProtocol):
    """A stage that runs on the finished (identified) report, e.g. a diagnosis check family."""

    name: str

    async def run(self, report: ScanReport, context: ScanContext) -> ScanReport: ...


@dataclass(frozen=True)
class ScanPipeline:
    """What a scan runs after the port scan: identification, then the post-scan stages.

    Built by the composition root (``kenshin.pipeline.compose``) and passed down to each
    runner and scan, so two pipelines in one process never see each other. The empty
    one (no identifier, no stage) is a bare port scan.
    """

    identifier: ServiceIdentifier | None = None
    stages: tuple[PostScanStage, ...] = ()

    def for_request(self, identify: bool) -> ScanPipeline:
        """This pipeline, or the empty one when the scan asked for no identification
        (the post-scan stages need the identities)."""
        return self if identify else PORTS_ONLY


PORTS_ONLY = ScanPipeline()
"""The empty pipeline: a bare port scan (the default wherever none is composed)."""


class ScanListener(TypingProtocol):
    """Told about every result as it appears (storage, progress display)."""

    def planned(self, hosts: int, probes: int) -> None: ...

    def port(
        self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None: ...

    def identified(self, address: str, result: PortResult) -> None: ...


@dataclass(frozen=True)
class ScanPlan:
    """What to scan: addresses (already in scope), TCP and UDP ports, and how."""

    targets: tuple[str, ...]
    tcp_ports: tuple[int, ...] = ()
    udp_ports: tuple[int, ...] = ()
    tcp_mode: TcpMode = TcpMode.AUTO
    identify: bool = True

    def __post_init__(self) -> None:
        if not self.targets:
            raise ScanError("scan.no_targets")
        if not self.tcp_ports and not self.udp_ports:
            raise ScanError("scan.no_ports")

    @property
    def probes(self) -> int:
        return len(self.targets) * (len(self.tcp_ports) + len(self.udp_ports))

    def options(self) -> dict[str, str]:
        return {
            "tcp_ports": _describe_ports(self.tcp_ports),
            "udp_ports": _describe_ports(self.udp_ports),
            "tcp_mode": self.tcp_mode.value,
            "identify": str(self.identify),
        }


@dataclass(frozen=True, repr=False)
class ScanOutcome:
    report: ScanReport
    status: RunStatus
    tcp_mode: TcpMode | None
    udp: UdpSummary | None = None
    notes: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    rate_changes: tuple[RateChange, ...] = ()
    """Every change the adaptive pacing made, in order (empty when the rate held)."""

    def __repr__(self) -> str:
        """A summary: Python 3.11's ``asyncio.run`` formats the repr of its finished task
        (restoring the SIGINT handler), and a report of 16,384 hosts spelled out costs
        seconds and tens of MiB."""
        return (
            f"ScanOutcome(status={self.status.value}, hosts={len(self.report.hosts)}, "
            f"tcp_mode={self.tcp_mode}, counts={self.counts})"
        )


def _describe_ports(ports: Sequence[int]) -> str:
    if not ports:
        return ""
    ranges: list[str] = []
    start = previous = ports[0]
    for port in [*ports[1:], -1]:
        if port == previous + 1:
            previous = port
            continue
        ranges.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = port
    return ",".join(ranges)


def pacer(settings: ScanSettings, targets: int, changes: list[RateChange]) -> TokenBucket | None:
    """The bucket one phase of a scan sends through (None: the engine's own plain bucket).

    An adaptive profile gets an ``AdaptiveRate`` under the profile's ceiling, whose
    changes land in ``changes``; a fixed one a plain bucket at that ceiling.
    """
    ceiling = settings.ceiling(targets)
    if settings.adaptive:
        return AdaptiveRate(ceiling, on_change=changes.append)
    return TokenBucket(ceiling) if ceiling < settings.rate else None


def target_pacing(settings: ScanSettings, targets: int) -> TargetPacing | None:
    """Each target's own limit (None when the fleet's rate alone keeps every target under it)."""
    if settings.target_rate >= settings.rate:
        return None
    return TargetPacing(targets, settings.target_rate)


def choose_tcp_mode(requested: TcpMode, targets: Sequence[str]) -> tuple[TcpMode, str | None]:
    """The mode that will run, and a note when it differs from the request."""
    ipv4_only = all(isinstance(ip_address(t), IPv4Address) for t in targets)
    if requested is TcpMode.CONNECT:
        return TcpMode.CONNECT, None
    if syn_available() and ipv4_only:
        return TcpMode.SYN, None
    if requested is TcpMode.SYN:
        reason = "scan.note.syn_needs_root" if ipv4_only else "scan.note.syn_ipv4_only"
        return TcpMode.CONNECT, reason
    return TcpMode.CONNECT, None


class _Collector:
    """Every probed port's outcome, kept in one compact ``PortTable`` per protocol.

    Scans write outcomes by (target index, port index); ``note`` queues a new outcome
    for the listener (from any thread) and ``drain`` hands the queue to the listener
    on the event loop, so storage and progress see each port as it is found while the
    scan's own state stays a byte per probe (see ``kenshin.scan.state``).
    """

    def __init__(self, plan: ScanPlan, listener: ScanListener | None) -> None:
        self.listener = listener
        self.outcomes = Outcomes()
        self.tables = {
            Protocol.TCP: PortTable(plan.targets, plan.tcp_ports, self.outcomes),
            Protocol.UDP: PortTable(plan.targets, plan.udp_ports, self.outcomes),
        }
        self._index: dict[str, int] | None = None
        self.extra: dict[tuple[int, Protocol], dict[int, int]] = {}
        self._pending: queue.SimpleQueue[tuple[Protocol, int, int]] = queue.SimpleQueue()

    def index(self, address: str) -> int:
        """The plan index of ``address`` (-1 if the plan does not hold it)."""
        if self._index is None:
            self._index = {a: i for i, a in enumerate(self.tables[Protocol.TCP].targets)}
        return self._index.get(address, -1)

    def put(
        self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None:
        """An outcome from an earlier run (resume): kept, not probed again, not counted."""
        i = self.index(address)
        if i < 0:
            return
        table = self.tables[protocol]
        code = self.outcomes.code(state, reason)
        j = table.port_index(port)
        if j < 0:
            self.extra.setdefault((i, protocol), {})[port] = code
        elif table.set(i, j, code):
            table.prefilled += 1
            table.prefilled_open += state is PortState.OPEN

    def note(self, protocol: Protocol, i: int, j: int) -> None:
        if self.listener is not None:
            self._pending.put((protocol, i, j))

    def tcp_note(self, i: int, j: int) -> None:
        self.note(Protocol.TCP, i, j)

    def drain(self) -> None:
        """Tell the listener about every outcome noted since the last drain."""
        listener = self.listener
        if listener is None:
            return
        pairs = self.outcomes.pairs
        while True:
            try:
                protocol, i, j = self._pending.get_nowait()
            except queue.Empty:
                return
            table = self.tables[protocol]
            state, reason = pairs[table.get(i, j)]
            listener.port(table.targets[i], protocol, table.ports[j], state, reason)

    def __call__(
        self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None:
        """A ``ResultSink`` for the scans that report by address (connect, UDP)."""
        i = self.index(address)
        table = self.tables[protocol]
        j = table.port_index(port)
        if i < 0 or j < 0:
            return
        if table.set(i, j, self.outcomes.code(state, reason)) and self.listener is not None:
            self.listener.port(address, protocol, port, state, reason)

    @property
    def counts(self) -> dict[str, int]:
        """Probes with an outcome in this run, and how many of them were open."""
        opened = self.outcomes.open_codes()
        probed = sum(t.count() - t.prefilled for t in self.tables.values())
        found = sum(t.count(opened) - t.prefilled_open for t in self.tables.values())
        return {"probed": probed, "open": found}

    def results(self, i: int, protocol: Protocol) -> list[tuple[int, PortState, str]]:
        """``(port, state, reason)`` of every probed port of target ``i``, in port order."""
        rows = self.tables[protocol].results(i)
        extra = self.extra.get((i, protocol))
        if extra:
            pairs = self.outcomes.pairs
            rows += [(port, *pairs[code]) for port, code in extra.items()]
        rows.sort()
        return rows


def _report(
    started: datetime,
    targets: Sequence[str],
    found: _Collector,
    identities: Mapping[PortKey, PortResult],
    list_limit: int | None,
) -> ScanReport:
    """The report; with ``list_limit``, groups larger than it are counted, not listed.

    Open ports, identified ports and ``open|filtered`` ports are always listed. A
    ``PortResult`` is immutable, so hosts with the same outcome on a port share one
    object: a report of 16,384 addresses holds a few hundred of them, not 1.6 million.
    """
    same: dict[tuple[Protocol, int, PortState, str], PortResult] = {}
    hosts = []
    for i, address in enumerate(targets):
        ports: list[PortResult] = []
        extra: list[PortCount] = []
        for protocol in Protocol:
            rows = found.results(i, protocol)
            groups: dict[tuple[PortState, str], int] = {}
            if list_limit is not None:
                for _port, state, reason in rows:
                    groups[(state, reason)] = groups.get((state, reason), 0) + 1
            counted = {
                key
                for key, count in groups.items()
                if count > (list_limit or 0)
                and key[0] not in (PortState.OPEN, PortState.OPEN_FILTERED)
            }
            for port, state, reason in rows:
                identified = identities.get((address, protocol, port))
                if identified is not None:
                    ports.append(identified)
                elif (state, reason) in counted:
                    continue
                else:
                    key = (protocol, port, state, reason)
                    shared = same.get(key)
                    if shared is None:
                        shared = same[key] = PortResult(protocol, port, state, reason)
                    ports.append(shared)
            for state, reason in sorted(counted):
                listed = sum(
                    1
                    for p in ports
                    if p.protocol is protocol and p.state is state and p.reason == reason
                )
                extra.append(PortCount(protocol, state, reason, groups[(state, reason)] - listed))
        hosts.append(HostResult(address, tuple(ports), (), tuple(e for e in extra if e.count)))
    return ScanReport(started, datetime.now(UTC), tuple(hosts))


class _Run:
    """One scan's bookkeeping around its phases, shared by ``run_scan`` and
    ``scan_blocking``: the scope check and the audit trail, the collector, the outcome."""

    def __init__(
        self,
        plan: ScanPlan,
        scope: Scope,
        settings: ScanSettings,
        stop: EmergencyStop | None,
        listener: ScanListener | None,
        audit: AuditSink | None,
        actor: str | None,
        previous: Mapping[PortKey, PortResult] | None,
        started_at: datetime | None,
        list_limit: int | None,
    ) -> None:
        self.gate = Gate(scope, audit, actor=actor or current_actor())
        self.gate.permit_all(plan.targets)
        settings.validate()
        self.stop = stop if stop is not None else EmergencyStop()
        if self.stop.file_present():
            raise ScanError("scan.stop_file_present", path=str(self.stop.path))
        self.plan, self.scope, self.settings = plan, scope, settings
        self.list_limit = list_limit
        self.collector = _Collector(plan, listener)
        self.previous = dict(previous or {})
        for (address, protocol, port), result in self.previous.items():
            self.collector.put(address, protocol, port, result.state, result.reason)
        self.skip_tcp: Collection[tuple[str, int]] = {
            (a, p) for (a, proto, p) in self.previous if proto is Protocol.TCP
        }
        self.skip_udp: Collection[tuple[str, int]] = {
            (a, p) for (a, proto, p) in self.previous if proto is Protocol.UDP
        }
        self.identities: dict[PortKey, PortResult] = {
            key: value for key, value in self.previous.items() if value.identity is not None
        }
        self.started = started_at or datetime.now(UTC)
        self.notes: list[str] = []
        self.mode: TcpMode | None = None
        self.udp_summary: UdpSummary | None = None
        self.status = RunStatus.FINISHED
        self.changes: list[RateChange] = []
        options = {**plan.options(), **settings.as_options(), "resumed": str(bool(previous))}
        self.gate.started(plan.targets, options)
        if listener is not None:
            listener.planned(len(plan.targets), plan.probes)
        self.clock = time.monotonic()

    def syn(self) -> SynScan:
        """The SYN scan of the plan's TCP ports, ready to ``run()`` in a thread."""
        hosts = len(self.plan.targets)
        return syn_scan(
            self.collector.tables[Protocol.TCP],
            self.settings,
            self.gate,
            self.stop,
            self.collector.tcp_note,
            pacer(self.settings, hosts, self.changes),
            target_pacing(self.settings, hosts),
        )

    def report(self) -> ScanReport:
        return _report(
            self.started, self.plan.targets, self.collector, self.identities, self.list_limit
        )

    def failed(self, exc: BaseException) -> None:
        """Record the run's end when a phase raised (the caller re-raises)."""
        outcome = (
            AuditOutcome.INTERRUPTED
            if isinstance(exc, KeyboardInterrupt | SystemExit)
            or type(exc).__name__ == "CancelledError"
            else AuditOutcome.FAILED
        )
        self.gate.ended(
            self.plan.targets, outcome, {**self.collector.counts, "error": type(exc).__name__}
        )

    def outcome(self, report: ScanReport) -> ScanOutcome:
        counts = dict(self.collector.counts)
        counts["seconds"] = int(time.monotonic() - self.clock)
        if self.udp_summary is not None:
            counts["udp_undetermined"] = self.udp_summary.undetermined
        self.gate.ended(
            self.plan.targets,
            AuditOutcome.SUCCEEDED
            if self.status is RunStatus.FINISHED
            else AuditOutcome.INTERRUPTED,
            {**counts, "tcp_mode": self.mode.value if self.mode else "-"},
        )
        return ScanOutcome(
            report,
            self.status,
            self.mode,
            self.udp_summary,
            tuple(self.notes),
            counts,
            tuple(self.changes),
        )


async def run_scan(
    plan: ScanPlan,
    scope: Scope,
    settings: ScanSettings,
    *,
    stop: EmergencyStop | None = None,
    identifier: ServiceIdentifier | None = None,
    stages: Sequence[PostScanStage] = (),
    listener: ScanListener | None = None,
    audit: AuditSink | None = None,
    actor: str | None = None,
    previous: Mapping[PortKey, PortResult] | None = None,
    started_at: datetime | None = None,
    list_limit: int | None = None,
) -> ScanOutcome:
    """Scan ``plan.targets`` under ``scope``; see the module docstring for the order of work.

    ``previous`` holds results of an interrupted run being resumed: those ports are
    not probed again and appear in the report as they were. With ``list_limit``, a
    host's closed or filtered ports sharing a reason are counted in
    ``HostResult.extraports`` once there are more than ``list_limit`` of them (the JSON
    and XML exports do the same); by default every port is listed.
    """
    run = _Run(
        plan, scope, settings, stop, listener, audit, actor, previous, started_at, list_limit
    )
    stop = run.stop
    hosts = len(plan.targets)
    try:
        if plan.tcp_ports:
            run.mode, note = choose_tcp_mode(plan.tcp_mode, plan.targets)
            if note:
                run.notes.append(note)
            if run.mode is TcpMode.SYN:
                await _draining(run.syn().in_thread(), run.collector)
            else:
                from kenshin.scan.tcp_connect import tcp_connect_scan

                await tcp_connect_scan(
                    plan.targets,
                    plan.tcp_ports,
                    settings,
                    run.gate,
                    stop,
                    run.collector,
                    run.skip_tcp,
                    pacer(settings, hosts, run.changes),
                    target_pacing(settings, hosts),
                )
        if plan.udp_ports and not stop.is_set():
            from kenshin.scan.udp import udp_scan

            run.udp_summary = await udp_scan(
                plan.targets,
                plan.udp_ports,
                settings,
                run.gate,
                stop,
                run.collector,
                run.skip_udp,
                pacer(settings, hosts, run.changes),
                target_pacing(settings, hosts),
            )
            if run.udp_summary.undetermined:
                run.notes.append("scan.note.udp_undetermined")
        if stop.is_set():
            run.status = RunStatus.INTERRUPTED
        elif plan.identify and identifier is not None:
            await _identify(
                plan, run.collector, identifier, run.gate, stop, run.identities, listener
            )
            if stop.is_set():
                run.status = RunStatus.INTERRUPTED
        report = run.report()
        if run.status is RunStatus.FINISHED:
            context = ScanContext(scope, settings, run.gate, stop)
            for stage in stages:
                report = await stage.run(report, context)
    except BaseException as exc:
        run.failed(exc)
        raise
    return run.outcome(report)


def scan_blocking(
    plan: ScanPlan,
    scope: Scope,
    settings: ScanSettings,
    *,
    stop: EmergencyStop | None = None,
    listener: ScanListener | None = None,
    audit: AuditSink | None = None,
    actor: str | None = None,
    previous: Mapping[PortKey, PortResult] | None = None,
    list_limit: int | None = None,
) -> ScanOutcome:
    """``run_scan`` from synchronous code, without identification or post-scan stages.

    A plan of TCP ports only that will be SYN-scanned runs in this process's threads with
    no event loop, so a scanning process never imports asyncio (with the TLS libraries it
    loads, more memory than a thousand targets' scan state); any other plan runs
    ``run_scan`` under ``asyncio.run``.
    """
    syn_only = not plan.udp_ports and (
        choose_tcp_mode(plan.tcp_mode, plan.targets)[0] is TcpMode.SYN
    )
    if not syn_only:
        import asyncio

        return asyncio.run(
            run_scan(
                plan,
                scope,
                settings,
                stop=stop,
                listener=listener,
                audit=audit,
                actor=actor,
                previous=previous,
                list_limit=list_limit,
            )
        )
    run = _Run(plan, scope, settings, stop, listener, audit, actor, previous, None, list_limit)
    try:
        run.mode = TcpMode.SYN
        done = _Thread(run.syn().run)
        while not done.wait(0.05):
            run.collector.drain()
        run.collector.drain()
        done.result()
        run.status = RunStatus.INTERRUPTED if run.stop.is_set() else RunStatus.FINISHED
        report = run.report()
    except BaseException as exc:
        run.stop.trigger()  # an interrupted caller: the sender threads stop at once
        run.failed(exc)
        raise
    return run.outcome(report)


class _Thread:
    """A blocking scan running in a thread of its own: ``wait`` for it, then its ``result``."""

    def __init__(self, work: Callable[[], bool]) -> None:
        self._work = work
        self._value: bool | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="kenshin-scan", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        try:
            self._value = self._work()
        except BaseException as exc:
            self._error = exc

    def wait(self, seconds: float) -> bool:
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def result(self) -> bool:
        if self._error is not None:
            raise self._error
        return bool(self._value)


async def _draining(work: Coroutine[Any, Any, bool], collector: _Collector) -> bool:
    """Run ``work`` while handing its noted outcomes to the listener every 50 ms."""
    import asyncio

    task = asyncio.ensure_future(work)
    try:
        while not task.done():
            collector.drain()
            await asyncio.wait({task}, timeout=0.05)
    finally:
        collector.drain()
    return task.result()


async def _identify(
    plan: ScanPlan,
    collector: _Collector,
    identifier: ServiceIdentifier,
    gate: Gate,
    stop: EmergencyStop,
    identities: dict[PortKey, PortResult],
    listener: ScanListener | None,
) -> None:
    for i, address in enumerate(plan.targets):
        if stop.is_set():
            return
        open_ports = [
            PortResult(protocol, port, state, reason)
            for protocol in Protocol
            for port, state, reason in collector.results(i, protocol)
            if state is PortState.OPEN and (address, protocol, port) not in identities
        ]
        if not open_ports:
            continue
        for result in await identifier(address, open_ports, gate):
            key = (address, result.protocol, result.port)
            identities[key] = result
            if listener is not None:
                listener.identified(address, result)
