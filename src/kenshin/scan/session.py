"""A whole stored scan: scope from the store, a run record, the scan, the run's ending.

``scan_and_store`` is what ``kenshin scan`` (and the demo) call: it builds the scope
(auditing a refusal), creates or resumes the run record, runs ``run_scan`` with a
listener that writes ports to the store as they come, turns SIGINT into a clean stop
when asked, and always closes the run as finished, interrupted or failed.
"""

from __future__ import annotations

import asyncio
import json
import math
import signal
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from kenshin.domain import AuditEvent, IPAddress, PortResult, PortState, Protocol, ScanReport
from kenshin.domain.clock import japan_time
from kenshin.i18n import t
from kenshin.scan.collect import PortKey, ScanListener
from kenshin.scan.engine import (
    PORTS_ONLY,
    RunStatus,
    ScanOutcome,
    ScanPipeline,
    ScanPlan,
    choose_tcp_mode,
    run_scan,
)
from kenshin.scan.errors import ScanError
from kenshin.scan.export import LIST_LIMIT
from kenshin.scan.pacing import EmergencyStop
from kenshin.scan.plan import WindowCheck, fit_to_window
from kenshin.scan.ports import parse_ports
from kenshin.scan.settings import HOSPITAL, ScanSettings, TcpMode, profile
from kenshin.scan.storage import ScanRunRepository, StoredRun, StoreListener
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
    port_choice: str = "default"
    """How the ports were chosen (``default``, ``--ports ...``, ``--top-ports N``), kept."""
    fit_window: bool = False
    """Cut a plan that cannot end inside the diagnosis window to what fits, in priority order."""


@dataclass(frozen=True)
class PreparedScan:
    """A scan ready to start: its scope, plan and window check, shown before any packet."""

    request: ScanRequest
    scope: Scope
    plan: ScanPlan
    check: WindowCheck
    tcp_mode: TcpMode | None
    """The TCP mode that will run (None: no TCP port)."""

    def lines(self, lang: str) -> list[str]:
        """The plan as a surveyor reads it: addresses, ports, profile, rate, estimate."""
        estimate = self.check.estimate
        settings = self.request.settings
        targets = self.plan.targets
        shown = ", ".join(targets[:8]) + (f" … (+{len(targets) - 8})" if len(targets) > 8 else "")
        lines = [
            t("scan.plan.addresses", lang, count=len(targets), addresses=shown),
            t(
                "scan.plan.ports",
                lang,
                tcp=len(self.plan.tcp_ports),
                tcp_list=_short(self.plan.options()["tcp_ports"]) or "-",
                udp=len(self.plan.udp_ports),
                udp_list=_short(self.plan.options()["udp_ports"]) or "-",
                choice=self.request.port_choice,
            ),
            t(
                "scan.plan.pacing",
                lang,
                profile=settings.profile,
                rate=round(settings.ceiling(len(targets))),
                target_rate=round(min(settings.target_rate, settings.rate)),
                mode=self.tcp_mode.value if self.tcp_mode else "-",
                adaptive=t("scan.plan.adaptive" if settings.adaptive else "scan.plan.fixed", lang),
            ),
            t(
                "scan.plan.estimate",
                lang,
                minutes=math.ceil(estimate.seconds / 60),
                basis=estimate.basis(lang),
            ),
        ]
        check = self.check
        if check.window_end is not None and check.seconds_left is not None:
            lines.append(
                t(
                    "scan.plan.window",
                    lang,
                    end=japan_time(check.window_end),
                    left=max(0, math.floor(check.seconds_left / 60)),
                )
            )
        if check.cut:
            lines.append(t("scan.plan.cut", lang, dropped=check.dropped))
        return lines

    def record(self) -> dict[str, str]:
        """What the run record keeps of the plan (the choice, the estimate, any cut)."""
        check = self.check
        return {
            "port_choice": self.request.port_choice,
            "fit_window": str(self.request.fit_window),
            "estimate_seconds": str(round(check.estimate.seconds)),
            "estimate": json.dumps(check.estimate.as_dict()),
            "window_end": check.window_end.isoformat() if check.window_end else "",
            "cut_ports": str(check.dropped) if check.cut else "0",
        }


def _short(ports: str, limit: int = 60) -> str:
    return ports if len(ports) <= limit else ports[: limit - 1] + "…"


@dataclass(frozen=True)
class StoredScan:
    uid: str
    outcome: ScanOutcome
    report: ScanReport
    resumed: bool = False
    run: StoredRun | None = None
    """The run record as it ended (all parts of a resumed run)."""

    @property
    def open_ports(self) -> int:
        """Open ports of the whole run (a resumed run's earlier parts included)."""
        return sum(len(host.open_ports()) for host in self.report.hosts)

    @property
    def seconds(self) -> float:
        """Seconds spent scanning over all parts of the run."""
        return self.run.active_seconds if self.run is not None else 0.0


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


def _window_end(store: Store, engagement: str | None) -> datetime | None:
    if engagement is None:
        return None
    with store.session() as session:
        window = EngagementRepository(session).get(engagement).window
    return window.ends_at if window is not None else None


def prepare_scan(
    store: Store,
    request: ScanRequest,
    *,
    resume: Resumption | None = None,
    now: datetime | None = None,
    preview: bool = False,
) -> PreparedScan:
    """Scope, plan and window check of ``request``; nothing is sent.

    The shared first step of the command line and the web: a refusal (scope, or a
    plan that cannot end inside the window) is raised here, before any packet, and
    audited — except for a ``preview`` (the web's job page showing the plan), which is
    no attempt to scan.
    """
    audit = store_audit(store)
    if resume is not None:
        request = replace(resume.request, targets=request.targets or resume.request.targets)
    scope, addresses = build_scope(store, request.engagement, request.targets, audit)
    targets = tuple(str(a) for a in addresses)
    mode = choose_tcp_mode(request.mode, targets)[0] if request.tcp_ports else None
    total = len(targets) * (len(request.tcp_ports) + len(request.udp_ports))
    try:
        check = fit_to_window(
            len(targets),
            request.tcp_ports,
            request.udp_ports,
            request.settings,
            mode or TcpMode.CONNECT,
            now=now or datetime.now(UTC),
            window_end=_window_end(store, request.engagement),
            fit=request.fit_window,
            identify=request.identify,
            done_fraction=len(resume.previous) / total if resume is not None and total else 0.0,
        )
    except ScanError as refusal:
        if preview:
            raise
        scan_refused(
            audit,
            actor=current_actor(),
            engagement_code=request.engagement,
            targets=list(targets),
            reason=refusal.message("en"),
        )
        raise
    if check.cut:
        request = replace(request, tcp_ports=check.tcp_ports, udp_ports=check.udp_ports)
    plan = ScanPlan(targets, request.tcp_ports, request.udp_ports, request.mode, request.identify)
    return PreparedScan(request, scope, plan, check, mode)


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
    pipeline: ScanPipeline = PORTS_ONLY,
    sigint_stops: bool = True,
    prepared: PreparedScan | None = None,
) -> StoredScan:
    """Scan ``request`` (or continue ``resume``) and keep everything in ``store``.

    ``prepared`` is the plan already shown (``prepare_scan``); without it the plan is
    made here, with the same window check. ``pipeline`` (identification and the post-scan
    stages) runs when ``request.identify``; the default is a bare port scan. With
    ``sigint_stops`` Ctrl-C stops sending and the run ends as interrupted.
    """
    audit = store_audit(store)
    if prepared is None:
        prepared = prepare_scan(store, request, resume=resume)
    request, scope, plan = prepared.request, prepared.scope, prepared.plan
    actor = current_actor()
    options = {**plan.options(), "profile": request.settings.profile, **prepared.record()}
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
        repository.begin_part(uid)
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
                pipeline=pipeline,
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
            runs = ScanRunRepository(session)
            runs.touch(uid)
            if outcome is not None and outcome.rate_changes:
                kept = runs.get(uid).options.get("rate_changes", [])
                runs.update_options(
                    uid, {"rate_changes": [*kept, *(c.as_dict() for c in outcome.rate_changes)]}
                )
            runs.finish(
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
    return StoredScan(uid, outcome, report, resume is not None, run)
