"""A whole stored scan: scope from the store, a run record, the scan, the run's ending.

``scan_and_store`` is what ``kenshin scan`` (and the demo) call: it builds the scope
(auditing a refusal), creates or resumes the run record, runs ``run_scan`` with a
listener that writes ports to the store as they come, turns SIGINT into a clean stop
when asked, and always closes the run as finished, interrupted or failed.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from kenshin.domain import AuditEvent, IPAddress, PortResult, PortState, Protocol, ScanReport
from kenshin.scan.engine import (
    POST_SCAN_STAGES,
    PortKey,
    RunStatus,
    ScanListener,
    ScanOutcome,
    ScanPlan,
    ServiceIdentifier,
    registered_identifier,
    run_scan,
)
from kenshin.scan.errors import ScanError
from kenshin.scan.export import LIST_LIMIT
from kenshin.scan.pacing import EmergencyStop
from kenshin.scan.ports import parse_ports
from kenshin.scan.settings import HOSPITAL, ScanSettings, TcpMode, profile
from kenshin.scan.storage import ScanRunRepository, StoreListener
from kenshin.scan.targets import parse_targets
from kenshin.scope import (
    AuditSink,
    Scope,
    ScopeError,
    adhoc_scope,
    current_actor,
    scan_refused,
    scope_for_engagement,
)
from kenshin.store import AuditLog, EngagementRepository, FindingRepository, Store


@dataclass(frozen=True)
class ScanRequest:
    """What to scan: an engagement (or none) and target specs, ports, mode, settings."""

    engagement: str | None
    targets: tuple[str, ...] = ()
    """Target specs; empty means all of the engagement's authorised targets."""
    tcp_ports: tuple[int, ...] = ()
    udp_ports: tuple[int, ...] = ()
    mode: TcpMode = TcpMode.AUTO
    settings: ScanSettings = HOSPITAL
    identify: bool = True


@dataclass(frozen=True)
class StoredScan:
    uid: str
    outcome: ScanOutcome
    report: ScanReport
    resumed: bool = False


@dataclass(frozen=True)
class Resumption:
    uid: str
    request: ScanRequest
    previous: dict[PortKey, PortResult]


def store_audit(store: Store) -> AuditSink:
    """An audit sink writing each event in its own transaction."""

    def record(event: AuditEvent) -> None:
        with store.session() as session:
            AuditLog(session).record(event)

    return record


def build_scope(
    store: Store, engagement: str | None, targets: Sequence[str], audit: AuditSink
) -> tuple[Scope, tuple[IPAddress, ...]]:
    """The scope and the addresses to scan; a refusal is audited before it is raised."""
    requested: tuple[IPAddress, ...] = ()
    try:
        if targets:
            requested = parse_targets(targets)
        if engagement is not None:
            with store.session() as session:
                loaded = EngagementRepository(session).get(engagement)
            scope = scope_for_engagement(loaded)
            return scope, scope.select(requested) if requested else scope.default_targets()
        if not requested:
            raise ScanError("scan.no_targets")
        scope = adhoc_scope()
        return scope, scope.select(requested)
    except ScopeError as refusal:
        scan_refused(
            audit,
            actor=current_actor(),
            engagement_code=engagement,
            targets=[str(a) for a in requested] or list(targets),
            reason=refusal.message("en"),
        )
        raise


def find_resumption(
    store: Store, engagement: str | None, targets: Sequence[str] = ()
) -> Resumption:
    """The last interrupted run of ``engagement`` (None: ad-hoc runs), ready to continue."""
    with store.session() as session:
        repository = ScanRunRepository(session)
        run = repository.latest_resumable(engagement)
        if run is None:
            raise ScanError("scan.nothing_to_resume", code=engagement or "-")
        previous = repository.results(run.uid)
    options = run.options
    settings = profile(str(options.get("profile", "hospital")))
    changes = {
        key: type(getattr(settings, key))(options[key])
        for key in (
            "rate",
            "global_concurrency",
            "per_host_concurrency",
            "initial_timeout",
            "retries",
        )
        if key in options
    }
    request = ScanRequest(
        engagement=engagement,
        targets=tuple(targets) or run.targets,
        tcp_ports=parse_ports(run.tcp_ports) if run.tcp_ports else (),
        udp_ports=parse_ports(run.udp_ports, Protocol.UDP) if run.udp_ports else (),
        mode=TcpMode(str(options.get("tcp_mode", "auto"))),
        settings=settings.with_changes(**changes),
        identify=options.get("identify") != "False",
    )
    return Resumption(run.uid, request, previous)


class _Both:
    """Passes every event to the store listener and to an optional second listener."""

    def __init__(self, store_listener: StoreListener, other: ScanListener | None) -> None:
        self.store_listener = store_listener
        self.other = other

    def planned(self, hosts: int, probes: int) -> None:
        if self.other is not None:
            self.other.planned(hosts, probes)

    def port(
        self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None:
        self.store_listener.port(address, protocol, port, state, reason)
        if self.other is not None:
            self.other.port(address, protocol, port, state, reason)

    def identified(self, address: str, result: PortResult) -> None:
        self.store_listener.identified(address, result)
        if self.other is not None:
            self.other.identified(address, result)


def scan_and_store(
    store: Store,
    request: ScanRequest,
    *,
    resume: Resumption | None = None,
    listener: ScanListener | None = None,
    stop: EmergencyStop | None = None,
    identifier: ServiceIdentifier | None = None,
    sigint_stops: bool = True,
) -> StoredScan:
    """Scan ``request`` (or continue ``resume``) and keep everything in ``store``.

    ``identifier`` defaults to the registered one when ``request.identify``. With
    ``sigint_stops`` Ctrl-C stops sending and the run ends as interrupted.
    """
    audit = store_audit(store)
    if resume is not None:
        request = replace(resume.request, targets=request.targets or resume.request.targets)
    scope, addresses = build_scope(store, request.engagement, request.targets, audit)
    plan = ScanPlan(
        tuple(str(a) for a in addresses),
        request.tcp_ports,
        request.udp_ports,
        request.mode,
        request.identify,
    )
    chosen = identifier if identifier is not None else registered_identifier()
    actor = current_actor()
    options = {**plan.options(), "profile": request.settings.profile}
    with store.session() as session:
        repository = ScanRunRepository(session)
        if resume is None:
            uid = repository.create(
                engagement_code=request.engagement,
                targets=plan.targets,
                tcp_ports=options["tcp_ports"],
                udp_ports=options["udp_ports"],
                options={**options, **request.settings.as_options()},
                actor=actor,
            )
        else:
            uid = resume.uid
            repository.mark_running(uid)
    stop = stop if stop is not None else EmergencyStop()
    store_listener = StoreListener(store, uid)

    async def main() -> ScanOutcome:
        loop = asyncio.get_running_loop()
        if sigint_stops:
            loop.add_signal_handler(signal.SIGINT, stop.trigger)
        try:
            return await run_scan(
                plan,
                scope,
                request.settings,
                stop=stop,
                identifier=chosen if request.identify else None,
                stages=list(POST_SCAN_STAGES) if request.identify else [],
                listener=_Both(store_listener, listener),
                audit=audit,
                actor=actor,
                previous=resume.previous if resume else None,
                list_limit=LIST_LIMIT,
            )
        finally:
            if sigint_stops:
                loop.remove_signal_handler(signal.SIGINT)

    outcome: ScanOutcome | None = None
    try:
        outcome = asyncio.run(main())
    finally:
        store_listener.flush()
        with store.session() as session:
            ScanRunRepository(session).finish(
                uid,
                outcome.status if outcome is not None else RunStatus.FAILED,
                tcp_mode=outcome.tcp_mode.value if outcome and outcome.tcp_mode else "",
                notes=outcome.notes if outcome else (),
            )
    with store.session() as session:
        run = ScanRunRepository(session).get(uid)
        ScanRunRepository(session).record_devices(uid, outcome.report.hosts)
        findings = [f for host in outcome.report.hosts for f in host.findings]
        if request.engagement is not None and findings:
            FindingRepository(session).record(request.engagement, findings)
    report = ScanReport(run.started_at, run.finished_at or datetime.now(UTC), outcome.report.hosts)
    return StoredScan(uid, outcome, report, resume is not None)
