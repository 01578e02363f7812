"""The scan job: ``kenshin.scan.session.scan_and_store`` driven by a job's parameters.

Parameters (all strings, as a form or the CLI gives them): ``targets`` (specs separated
by commas or spaces; empty = the engagement's authorised targets), ``ports`` (TCP port
list, e.g. ``22,80,1-1024``) or ``top_ports`` (N), ``udp_ports`` or ``udp_top``; without
any of them the default coverage (every TCP port, the top 100 UDP ports; with only TCP
ports given, no UDP port), ``mode`` (auto/syn/connect), ``profile`` (hospital/lab),
``rate``, ``per_host`` (connections in flight per host), ``max_connections``,
``timeout`` (initial answer timeout, seconds), ``retries``, ``identify`` (true/false),
``fit_window`` (true: cut a plan that cannot end inside the window to what fits),
``port_choice`` (how the ports were chosen, kept with the run; default: the parameters
that chose them), ``resume`` (true: continue the last interrupted run of the engagement,
or the last ad-hoc one, in this process).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

from kenshin.domain import PortResult, PortState, Protocol
from kenshin.jobs.model import JobError, JobSpec, ProgressReporter
from kenshin.scan.engine import PORTS_ONLY, RunStatus
from kenshin.scan.pacing import EmergencyStop
from kenshin.scan.plan import default_ports
from kenshin.scan.ports import parse_ports, top_ports
from kenshin.scan.session import ScanRequest, find_resumption, scan_and_store
from kenshin.scan.settings import ScanSettings, TcpMode, profile
from kenshin.store import Store


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.replace(",", " ").split() if part)


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _listed(value: str, protocol: Protocol) -> tuple[int, ...]:
    """A port list parameter; ``none`` is no port of that protocol (as on the CLI)."""
    return () if value.strip().lower() == "none" else parse_ports(value, protocol)


def scan_settings(params: Mapping[str, str]) -> ScanSettings:
    """The scan profile named by ``profile`` with ``rate`` / ``per_host`` applied."""
    settings = profile(params.get("profile", "hospital"))
    changes: dict[str, float | int] = {}
    try:
        if params.get("rate"):
            changes["rate"] = float(params["rate"])
        if params.get("per_host"):
            changes["per_host_concurrency"] = int(params["per_host"])
        if params.get("max_connections"):
            changes["global_concurrency"] = int(params["max_connections"])
        if params.get("timeout"):
            changes["initial_timeout"] = float(params["timeout"])
        if params.get("retries"):
            changes["retries"] = int(params["retries"])
    except ValueError as exc:
        raise JobError("jobs.bad_param", detail=str(exc)) from exc
    return settings.with_changes(**changes) if changes else settings


def scan_request(spec: JobSpec) -> ScanRequest:
    """The ``ScanRequest`` a scan job's parameters describe."""
    params = spec.params
    chosen = [key for key in ("ports", "top_ports", "udp_ports", "udp_top") if params.get(key)]
    default_tcp, default_udp = default_ports()
    try:
        if params.get("ports"):
            tcp = _listed(params["ports"], Protocol.TCP)
        elif params.get("top_ports"):
            tcp = top_ports(Protocol.TCP, int(params["top_ports"]))
        else:
            tcp = default_tcp
        if params.get("udp_ports"):
            udp = _listed(params["udp_ports"], Protocol.UDP)
        elif params.get("udp_top"):
            udp = top_ports(Protocol.UDP, int(params["udp_top"]))
        else:
            udp = () if chosen else default_udp
        mode = TcpMode(params.get("mode") or "auto")
    except ValueError as exc:
        raise JobError("jobs.bad_param", detail=str(exc)) from exc
    return ScanRequest(
        engagement=spec.engagement_code,
        targets=_split(params.get("targets", "")),
        tcp_ports=tcp,
        udp_ports=udp,
        mode=mode,
        settings=scan_settings(params),
        identify=_flag(params.get("identify"), True),
        port_choice=params.get("port_choice")
        or "; ".join(f"{key}={params[key][:60]}" for key in chosen)
        or "default",
        fit_window=_flag(params.get("fit_window"), False),
    )


@dataclass
class ProgressListener:
    """A ``ScanListener`` that turns probe counts into ``report_progress`` calls."""

    report: ProgressReporter
    interval: float = 0.5
    probes: int = 0
    done: int = 0
    open: int = 0
    _last: float = 0.0

    def planned(self, hosts: int, probes: int) -> None:
        self.probes = probes
        self._emit(force=True)

    def port(
        self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None:
        self.done += 1
        if state is PortState.OPEN:
            self.open += 1
        self._emit()

    def identified(self, address: str, result: PortResult) -> None:
        return None

    def _emit(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        fraction = min(0.99, self.done / self.probes) if self.probes else 0.0
        self.report(fraction, f"{self.done}/{self.probes} probes, {self.open} open")


def scan_job(store: Store, spec: JobSpec, report_progress: ProgressReporter) -> Mapping[str, str]:
    """Run one whole stored scan in this process, with the pipeline of the runner running
    it; the result names the scan run."""
    from kenshin.jobs.registry import current_job

    context = current_job()
    stop = context.stop if context is not None else EmergencyStop()
    pipeline = context.pipeline if context is not None else PORTS_ONLY
    listener = ProgressListener(report_progress)
    request = scan_request(spec)
    resumption = None
    if _flag(spec.params.get("resume"), False):
        resumption = find_resumption(store, request.engagement, request.targets)
        request = replace(
            resumption.request, identify=resumption.request.identify and request.identify
        )
    stored = scan_and_store(
        store,
        request,
        resume=resumption,
        listener=listener,
        stop=stop,
        pipeline=pipeline,
        sigint_stops=False,
    )
    status = stored.outcome.status
    if status is RunStatus.INTERRUPTED:
        raise JobError("jobs.scan_interrupted", run=stored.uid)
    open_ports = sum(
        1 for host in stored.report.hosts for p in host.ports if p.state is PortState.OPEN
    )
    return {
        "scan_run": stored.uid,
        "status": status.value,
        "hosts": str(len(stored.report.hosts)),
        "open": str(open_ports),
    }
