"""The scan pipeline: scope check, TCP (SYN or connect), UDP, identification, post-scan stages.

``run_scan`` is the one entry point. It refuses unauthorised targets before any packet
(and every probe asks the gate again), writes the audit events, reports each port to
an optional listener as it is found (so an interrupted scan keeps what it found), and
then hands the open ports to the injected ``ServiceIdentifier`` and the report to each
``PostScanStage`` in turn (the diagnosis checks plug in there). A caller that only passes
results on (the benchmark's scanning process) can take each finished host from a
``HostSink`` instead of the whole report (``kenshin.scan.collect``).
"""

from __future__ import annotations

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
    PortResult,
    PortState,
    Protocol,
    ScanReport,
)
from kenshin.scan.collect import Collector, HostSink, PortKey, ScanListener, finished_hosts
from kenshin.scan.errors import ScanError
from kenshin.scan.guard import TableScan
from kenshin.scan.pacing import (
    AdaptiveRate,
    EmergencyStop,
    RateChange,
    TargetPacing,
    TokenBucket,
)
from kenshin.scan.ports import port_ranges
from kenshin.scan.settings import ScanSettings, TcpMode
from kenshin.scan.tcp_syn import SynScan, syn_available, syn_scan
from kenshin.scope import AuditSink, Gate, Scope, current_actor

if TYPE_CHECKING:  # imported where used: a TCP scan needs neither (nor YAML)
    from kenshin.scan.tcp_connect import ConnectScan
    from kenshin.scan.udp import UdpScan, UdpSummary


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
            "tcp_ports": port_ranges(self.tcp_ports),
            "udp_ports": port_ranges(self.udp_ports),
            "tcp_mode": self.tcp_mode.value,
            "identify": str(self.identify),
        }


@dataclass(frozen=True, repr=False)
class ScanOutcome:
    report: ScanReport
    """The whole report; with a host sink, its hosts went to the sink and it lists none."""
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
        self.collector = Collector(plan, listener)
        self.previous = dict(previous or {})
        for (address, protocol, port), result in self.previous.items():
            self.collector.put(address, protocol, port, result.state, result.reason)
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

    def tcp(self) -> SynScan | ConnectScan:
        """The TCP scan of the plan's ports in ``mode``, ready to ``run()`` in a thread.

        Both write into the collector's table and need no event loop."""
        hosts = len(self.plan.targets)
        self.mode, note = choose_tcp_mode(self.plan.tcp_mode, self.plan.targets)
        if note:
            self.notes.append(note)
        job = TableScan(
            self.collector.tables[Protocol.TCP],
            self.settings,
            self.gate,
            self.stop,
            self.collector.tcp_note,
            pacer(self.settings, hosts, self.changes),
            target_pacing(self.settings, hosts),
        )
        if self.mode is TcpMode.SYN:
            return syn_scan(job)
        from kenshin.scan.tcp_connect import ConnectScan

        return ConnectScan(job)

    def udp(self) -> UdpScan:
        """The UDP scan of the plan's ports, ready to ``run()`` in a thread (no event loop)."""
        from kenshin.scan.udp import UdpScan

        hosts = len(self.plan.targets)
        return UdpScan(
            self.plan.targets,
            self.plan.udp_ports,
            self.settings,
            self.gate,
            self.stop,
            self.collector,
            self.skip_udp,
            pacer(self.settings, hosts, self.changes),
            target_pacing(self.settings, hosts),
        )

    def udp_done(self, summary: UdpSummary) -> None:
        self.udp_summary = summary
        if summary.undetermined:
            self.notes.append("scan.note.udp_undetermined")

    def report(self, sink: HostSink | None = None) -> ScanReport:
        """The report; with a ``sink``, each host goes to it as it is made and the
        report returned lists none (the whole report is never held)."""
        made = finished_hosts(self.plan.targets, self.collector, self.identities, self.list_limit)
        if sink is None:
            return ScanReport(self.started, datetime.now(UTC), tuple(made))
        for host in made:
            sink(host)
        return ScanReport(self.started, datetime.now(UTC))

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
    pipeline: ScanPipeline = PORTS_ONLY,
    listener: ScanListener | None = None,
    audit: AuditSink | None = None,
    actor: str | None = None,
    previous: Mapping[PortKey, PortResult] | None = None,
    started_at: datetime | None = None,
    list_limit: int | None = None,
    hosts: HostSink | None = None,
) -> ScanOutcome:
    """Scan ``plan.targets`` under ``scope``; see the module docstring for the order of work.

    ``previous`` holds results of an interrupted run being resumed: those ports are
    not probed again and appear in the report as they were. With ``list_limit``, a
    host's closed or filtered ports sharing a reason are counted in
    ``HostResult.extraports`` once there are more than ``list_limit`` of them (the JSON
    and XML exports do the same); by default every port is listed. With ``hosts``, each
    host's result goes to that sink when it is final and the outcome's report lists no
    host: without post-scan stages the whole report is never held. ``pipeline`` runs
    only where the plan asks for identification (``ScanPipeline.for_request``).
    """
    chosen = pipeline.for_request(plan.identify)
    run = _Run(
        plan, scope, settings, stop, listener, audit, actor, previous, started_at, list_limit
    )
    stop = run.stop
    try:
        if plan.tcp_ports:
            await _draining(run.tcp().in_thread(), run.collector)
        if plan.udp_ports and not stop.is_set():
            scan = run.udp()
            await _draining(scan.in_thread(), run.collector)
            run.udp_done(scan.summary)
        if stop.is_set():
            run.status = RunStatus.INTERRUPTED
        elif chosen.identifier is not None:
            await _identify(
                plan, run.collector, chosen.identifier, run.gate, stop, run.identities, listener
            )
            if stop.is_set():
                run.status = RunStatus.INTERRUPTED
        if run.status is RunStatus.FINISHED and chosen.stages:
            report = run.report()
            context = ScanContext(scope, settings, run.gate, stop)
            for stage in chosen.stages:
                report = await stage.run(report, context)
            report = _handed(report, hosts)
        else:
            report = run.report(hosts)
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
    hosts: HostSink | None = None,
) -> ScanOutcome:
    """``run_scan`` from synchronous code, without identification or post-scan stages.

    TCP (SYN or connect) and UDP run in this process's threads with no event loop, so a
    scanning process never imports asyncio (with the TLS libraries it loads, more memory
    than a thousand targets' scan state).
    """
    run = _Run(plan, scope, settings, stop, listener, audit, actor, previous, None, list_limit)
    try:
        if plan.tcp_ports:
            _waiting(run.tcp().run, run.collector)
        if plan.udp_ports and not run.stop.is_set():
            scan = run.udp()
            _waiting(scan.run, run.collector)
            run.udp_done(scan.summary)
        run.status = RunStatus.INTERRUPTED if run.stop.is_set() else RunStatus.FINISHED
        report = run.report(hosts)
    except BaseException as exc:
        run.stop.trigger()  # an interrupted caller: the sender threads stop at once
        run.failed(exc)
        raise
    return run.outcome(report)


def _handed(report: ScanReport, sink: HostSink | None) -> ScanReport:
    """``report`` with its hosts handed to ``sink`` (and no longer listed), if there is one."""
    if sink is None:
        return report
    for host in report.hosts:
        sink(host)
    return ScanReport(report.started_at, report.finished_at)


def _waiting(work: Callable[[], object], collector: Collector) -> None:
    """Run ``work`` in a thread while handing its noted outcomes to the listener every 50 ms."""
    done = _Thread(work)
    while not done.wait(0.05):
        collector.drain()
    collector.drain()
    done.result()


class _Thread:
    """A blocking scan running in a thread of its own: ``wait`` for it, then its ``result``."""

    def __init__(self, work: Callable[[], object]) -> None:
        self._work = work
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="kenshin-scan", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        try:
            self._work()
        except BaseException as exc:
            self._error = exc

    def wait(self, seconds: float) -> bool:
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def result(self) -> None:
        """Raise what the scan raised, if anything."""
        if self._error is not None:
            raise self._error


async def _draining(work: Coroutine[Any, Any, object], collector: Collector) -> None:
    """Run ``work`` while handing its noted outcomes to the listener every 50 ms."""
    import asyncio

    task = asyncio.ensure_future(work)
    try:
        while not task.done():
            collector.drain()
            await asyncio.wait({task}, timeout=0.05)
    except BaseException:
        task.cancel()  # a cancelled scan: its threads stop sending
        raise
    finally:
        collector.drain()
    task.result()


async def _identify(
    plan: ScanPlan,
    collector: Collector,
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
