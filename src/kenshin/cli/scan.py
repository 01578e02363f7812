"""``kenshin scan``, ``scan-stop`` and ``scan-runs``: the port scan on the command line.

With an engagement code the scan probes that engagement's authorised targets (the
scope room decides which); without one, ``--target`` may name loopback addresses
only (and the lab range when ``KENSHIN_LAB_TARGETS=1``). Results are stored as a
scan run while the scan goes; Ctrl-C stops sending, keeps what was found and marks
the run interrupted, and ``--resume`` continues it.

With ``KENSHIN_BROKER_URL`` set the same scan is queued as a scan job, split into
units on the Celery workers; the command follows it and prints the stored run the
same way (Ctrl-C cancels the job).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from kenshin.cli._common import CliError, print_json, say
from kenshin.cli._jobs import on_workers, run_on_workers
from kenshin.cli._state import STATE, console
from kenshin.domain import PortResult, PortState, Protocol, ScanReport
from kenshin.jobs import JobError, JobKind, JobSpec
from kenshin.scan import (
    EmergencyStop,
    RunStatus,
    ScanError,
    ScanOutcome,
    TcpMode,
    parse_ports,
    profile,
    report_document,
    report_nmap_xml,
    service_name,
    top_ports,
    write_json,
)
from kenshin.scan.plan import DEFAULT_UDP_TOP, default_ports
from kenshin.scan.session import (
    Resumption,
    ScanRequest,
    find_resumption,
    prepare_scan,
    scan_and_store,
)
from kenshin.scan.storage import ScanRunRepository
from kenshin.scope import current_actor


def _port_choice(
    ports: str | None, top: int | None, protocol: Protocol, default: tuple[int, ...]
) -> tuple[tuple[int, ...], str]:
    """The ports of one protocol and how they were chosen (kept with the run)."""
    flag = "--ports" if protocol is Protocol.TCP else "--udp-ports"
    top_flag = "--top-ports" if protocol is Protocol.TCP else "--udp-top"
    if ports is not None and top is not None:
        raise ScanError("scan.conflicting_ports", first=flag, second=top_flag)
    if ports is not None:
        chosen = () if ports.strip().lower() == "none" else parse_ports(ports, protocol)
        return chosen, f"{flag} {ports.strip()[:60]}"
    if top is not None:
        return (() if top == 0 else top_ports(protocol, top)), f"{top_flag} {top}"
    return default, "default"


class _Progress:
    """Live progress: probes done of planned, hosts, open ports found, ETA."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.task: TaskID | None = None
        self.open = 0
        self.hosts: set[str] = set()
        self.total_hosts = 0
        self._last = 0.0
        self.announce: Callable[[int], None] | None = None

    def planned(self, hosts: int, probes: int) -> None:
        self.total_hosts = hosts
        if self.announce is not None:
            self.announce(hosts)
        if self.progress is not None:
            self.task = self.progress.add_task(
                STATE.t("cli.scan.progress"), total=probes, open=0, hosts=f"0/{hosts}"
            )

    def port(
        self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None:
        self.hosts.add(address)
        if state is PortState.OPEN:
            self.open += 1
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)
            now = time.monotonic()
            if now - self._last > 0.2:
                self._last = now
                self.progress.update(
                    self.task, open=self.open, hosts=f"{len(self.hosts)}/{self.total_hosts}"
                )

    def identified(self, address: str, result: PortResult) -> None:
        return None


def _summary(outcome: ScanOutcome | None, report: ScanReport) -> None:
    table = Table(title=STATE.t("cli.scan.table_title"), title_justify="left")
    for column in ("host", "port", "state", "reason", "service", "product"):
        table.add_column(STATE.t(f"cli.scan.col.{column}"), overflow="fold")
    shown = 0
    for host in report.hosts:
        for result in host.ports:
            if result.state not in (PortState.OPEN, PortState.OPEN_FILTERED):
                continue
            if result.state is PortState.OPEN_FILTERED and result.identity is None and shown > 200:
                continue
            identity = result.identity
            service = (
                identity.service
                if identity
                else (f"{service_name(result.protocol, result.port) or '-'}?")
            )
            product = f"{identity.product} {identity.version}".strip() if identity else ""
            table.add_row(
                host.address,
                f"{result.port}/{result.protocol.value}",
                result.state.value,
                result.reason,
                service,
                product or "-",
            )
            shown += 1
    if shown:
        console.print(table)
    else:
        say("cli.scan.none_open")
    for host in report.hosts:
        counts = Counter(p.state for p in host.ports)
        for counted in host.extraports:
            counts[counted.state] += counted.count
        say(
            "cli.scan.host_summary",
            address=host.address,
            open=counts[PortState.OPEN],
            closed=counts[PortState.CLOSED],
            filtered=counts[PortState.FILTERED],
            open_filtered=counts[PortState.OPEN_FILTERED],
        )
    if outcome is not None:
        for note in outcome.notes:
            say(note)


def port_ranges(ports: tuple[int, ...]) -> str:
    """``1-1024,3389``: a port list as short as ``parse_ports`` reads it back."""
    parts: list[str] = []
    ordered = sorted(set(ports))
    start = 0
    for index in range(1, len(ordered) + 1):
        if index == len(ordered) or ordered[index] != ordered[index - 1] + 1:
            first, last = ordered[start], ordered[index - 1]
            parts.append(str(first) if first == last else f"{first}-{last}")
            start = index
    return ",".join(parts)


def _job_params(request: ScanRequest, overrides: dict[str, float | int | None]) -> dict[str, str]:
    """The scan job's parameters for exactly this request (the ports listed, not re-derived)."""
    params = {
        "targets": ",".join(request.targets),
        "ports": port_ranges(request.tcp_ports) or "none",
        "udp_ports": port_ranges(request.udp_ports) or "none",
        "mode": request.mode.value,
        "profile": request.settings.profile,
        "identify": str(request.identify).lower(),
    }
    params.update({name: str(value) for name, value in overrides.items() if value is not None})
    return params


def _scan_on_workers(
    request: ScanRequest,
    overrides: dict[str, float | int | None],
    json_file: Path | None,
    xml_file: Path | None,
    show_progress: bool,
) -> None:
    """Queue the scan as a job on the workers, follow it, print the stored run."""
    settings = request.settings
    spec = JobSpec(
        JobKind.SCAN, request.engagement, _job_params(request, overrides), current_actor()
    )
    status = run_on_workers(spec, show=show_progress)
    uid = status.result["scan_run"]
    with STATE.store().session() as session:
        runs = ScanRunRepository(session)
        run, report = runs.get(uid), runs.report(uid)
    _summary(None, report)
    mode_used = run.tcp_mode or str(run.options.get("tcp_mode", ""))
    if json_file is not None:
        write_json(
            json_file,
            report_document(
                report,
                engagement=request.engagement,
                run_id=uid,
                status=run.status.value,
                tcp_mode=mode_used,
                profile=settings.profile,
                notes=run.notes,
                coverage=run.coverage(),
            ),
        )
        say("cli.scan.json_written", path=json_file)
    if xml_file is not None:
        xml_file.write_bytes(
            report_nmap_xml(
                report,
                args=f"kenshin scan {request.engagement or ''}".strip(),
                tcp_mode=mode_used,
            )
        )
        say("cli.scan.xml_written", path=xml_file)
    seconds = (
        (status.finished_at - status.started_at).total_seconds()
        if status.finished_at and status.started_at
        else 0
    )
    say(
        "cli.scan.finished",
        uid=uid,
        hosts=len(report.hosts),
        open=status.result.get("open", "0"),
        seconds=round(seconds, 1),
        mode=mode_used or "-",
    )


def scan(
    engagement: Annotated[
        str | None, typer.Argument(help="Engagement code (its authorised targets are scanned).")
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            "-t",
            help="Address, CIDR or range; repeatable. Without an "
            "engagement: loopback only (lab range with KENSHIN_LAB_TARGETS=1).",
        ),
    ] = None,
    ports: Annotated[
        str | None,
        typer.Option(
            "--ports", "-p", help="TCP ports: 22,80 / 1-1024 / all (default) / ssh / none."
        ),
    ] = None,
    top: Annotated[
        int | None, typer.Option("--top-ports", help="The N highest-ranked TCP ports.")
    ] = None,
    udp_ports: Annotated[
        str | None, typer.Option("--udp-ports", help="UDP ports (same syntax), or none.")
    ] = None,
    udp_top: Annotated[
        int | None,
        typer.Option(
            "--udp-top",
            help=f"The N highest-ranked UDP ports (default {DEFAULT_UDP_TOP}; 0 = none).",
        ),
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="TCP mode: auto (SYN when root), syn, connect.")
    ] = "auto",
    profile_name: Annotated[
        str, typer.Option("--profile", help="hospital (default, polite) or lab.")
    ] = "hospital",
    rate: Annotated[
        float | None, typer.Option("--rate", help="Probes per second, all hosts.")
    ] = None,
    max_connections: Annotated[
        int | None, typer.Option("--max-connections", help="Connections in flight, all hosts.")
    ] = None,
    per_host: Annotated[
        int | None, typer.Option("--per-host", help="Connections in flight per host.")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Initial answer timeout in seconds.")
    ] = None,
    retries: Annotated[
        int | None, typer.Option("--retries", help="Extra tries for unanswered probes.")
    ] = None,
    no_identify: Annotated[
        bool,
        typer.Option(
            "--no-identify", help="Port scan only: no identification, hence no diagnosis."
        ),
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the last interrupted scan.")
    ] = False,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write kenshin.scan/1 JSON here.")
    ] = None,
    xml_file: Annotated[
        Path | None, typer.Option("--nmap-xml", help="Write nmap-compatible XML here.")
    ] = None,
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="No live progress bar.")
    ] = False,
    fit_window: Annotated[
        bool,
        typer.Option(
            "--fit-window",
            help="If the plan cannot end inside the diagnosis window, run what fits "
            "(ranked ports first) instead of refusing.",
        ),
    ] = False,
) -> None:
    """ポートスキャン（TCP/UDP）を実行し結果を保存する / Run the TCP/UDP port scan, store it."""
    try:
        tcp_mode = TcpMode(mode)
    except ValueError:
        raise CliError("cli.bad_choice", value=mode, allowed="auto, syn, connect") from None
    store = STATE.store()
    resumption: Resumption | None = None
    if resume and on_workers():
        raise JobError("jobs.cli.no_resume_on_workers")
    if resume:
        for flag, value in (
            ("--ports", ports),
            ("--top-ports", top),
            ("--udp-ports", udp_ports),
            ("--udp-top", udp_top),
        ):
            if value is not None:
                raise ScanError("scan.conflicting_options", first="--resume", second=flag)
        resumption = find_resumption(store, engagement, tuple(target or ()))
        request = replace(
            resumption.request, identify=resumption.request.identify and not no_identify
        )
        say("cli.scan.resuming", uid=resumption.uid, done=len(resumption.previous))
    else:
        default_tcp, default_udp = default_ports()
        tcp_chosen, tcp_how = _port_choice(ports, top, Protocol.TCP, default_tcp)
        udp_chosen, udp_how = _port_choice(udp_ports, udp_top, Protocol.UDP, default_udp)
        request = ScanRequest(
            engagement=engagement,
            targets=tuple(target or ()),
            tcp_ports=tcp_chosen,
            udp_ports=udp_chosen,
            port_choice=(
                "default" if tcp_how == udp_how == "default" else f"TCP: {tcp_how}; UDP: {udp_how}"
            ),
            fit_window=fit_window,
            mode=tcp_mode,
            settings=profile(profile_name).with_changes(
                rate=rate,
                global_concurrency=max_connections,
                per_host_concurrency=per_host,
                initial_timeout=timeout,
                retries=retries,
            ),
            identify=not no_identify,
        )
    settings = request.settings
    if on_workers():
        _scan_on_workers(
            request,
            {
                "rate": rate,
                "max_connections": max_connections,
                "per_host": per_host,
                "timeout": timeout,
                "retries": retries,
            },
            json_file,
            xml_file,
            show_progress=not no_progress,
        )
        return
    progress = (
        None
        if no_progress
        else Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("hosts {task.fields[hosts]}"),
            TextColumn("[green]open {task.fields[open]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
    )
    listener = _Progress(progress)

    def announce(hosts: int) -> None:
        say(
            "cli.scan.started",
            hosts=hosts,
            tcp=len(request.tcp_ports),
            udp=len(request.udp_ports),
            profile=settings.profile,
            rate=int(settings.ceiling(hosts)),
        )

    listener.announce = announce
    prepared = prepare_scan(store, request, resume=resumption)
    for line in prepared.lines(STATE.lang):
        console.print(line, highlight=False, markup=False)
    request = prepared.request
    if progress is not None:
        with progress:
            stored = scan_and_store(
                store, request, resume=resumption, listener=listener, prepared=prepared
            )
    else:
        stored = scan_and_store(
            store, request, resume=resumption, listener=listener, prepared=prepared
        )
    outcome, report = stored.outcome, stored.report
    for change in outcome.rate_changes:
        say(
            "scan.rate_changed",
            old=round(change.old),
            new=round(change.new),
            reason=STATE.t(f"scan.rate_reason.{change.reason}"),
        )
    _summary(outcome, report)
    mode_used = outcome.tcp_mode.value if outcome.tcp_mode else ""
    if json_file is not None:
        write_json(
            json_file,
            report_document(
                report,
                engagement=engagement,
                run_id=stored.uid,
                status=outcome.status.value,
                tcp_mode=mode_used,
                profile=settings.profile,
                notes=outcome.notes,
                coverage=stored.run.coverage() if stored.run is not None else (),
            ),
        )
        say("cli.scan.json_written", path=json_file)
    if xml_file is not None:
        xml_file.write_bytes(
            report_nmap_xml(
                report, args=f"kenshin scan {engagement or ''}".strip(), tcp_mode=mode_used
            )
        )
        say("cli.scan.xml_written", path=xml_file)
    if outcome.status is RunStatus.INTERRUPTED:
        say("cli.scan.interrupted", uid=stored.uid, target=engagement or "--target ...")
        raise typer.Exit(130)
    say(
        "cli.scan.finished",
        uid=stored.uid,
        hosts=len(report.hosts),
        open=stored.open_ports,
        seconds=round(stored.seconds),
        mode=mode_used or "-",
    )


def scan_stop(
    clear: Annotated[bool, typer.Option("--clear", help="Remove the stop file again.")] = False,
) -> None:
    """緊急停止: 実行中の全スキャンの送信を止める / Emergency stop of every running scan."""
    stop = EmergencyStop()
    if clear:
        if stop.clear_file():
            say("cli.scan.stop_cleared", path=stop.path)
        else:
            say("cli.scan.stop_absent", path=stop.path)
        return
    stop.raise_file(f"raised by {current_actor()}\n")
    say("cli.scan.stop_raised", path=stop.path)


def scan_runs(
    engagement: Annotated[
        str | None, typer.Argument(help="Engagement code (none: ad-hoc runs).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """スキャン記録の一覧 / List stored scan runs."""
    with STATE.store().session() as session:
        runs = ScanRunRepository(session).runs(engagement)
    if as_json:
        print_json([run.__dict__ for run in runs])
        return
    if not runs:
        say("cli.scan.no_runs")
        return
    table = Table(
        title=STATE.t("cli.scan.runs_title", code=engagement or "-"), title_justify="left"
    )
    for column in ("uid", "source", "status", "started", "mode", "targets"):
        table.add_column(column)
    for run in runs:
        table.add_row(
            run.uid,
            run.source,
            run.status.value,
            run.started_at.isoformat(timespec="seconds"),
            run.tcp_mode or "-",
            ", ".join(run.targets[:4]) + (" …" if len(run.targets) > 4 else ""),
        )
    console.print(table)
