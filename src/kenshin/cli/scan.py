"""``kenshin scan``, ``scan-stop`` and ``scan-runs``: the port scan on the command line.

With an engagement code the scan probes that engagement's authorised targets (the
scope room decides which); without one, ``--target`` may name loopback addresses
only (and the lab range when ``KENSHIN_LAB_TARGETS=1``). Results are stored as a
scan run while the scan goes; Ctrl-C stops sending, keeps what was found and marks
the run interrupted, and ``--resume`` continues it.

The scan is a scan job (``kenshin.app.scans.start_scan``, as for ``kenshin jobs scan``
and the web): run by this process's job threads, or with ``KENSHIN_BROKER_URL`` set
split into units on the Celery workers. The command shows the plan, follows the job
and prints the stored run the same way either way (Ctrl-C cancels the job).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from kenshin.app.scans import start_scan
from kenshin.cli._common import CliError, json_or_empty, say
from kenshin.cli._jobs import POLL_SECONDS, follow, on_workers, succeeded
from kenshin.cli._options import JsonOpt, WideOpt
from kenshin.cli._state import STATE, console
from kenshin.cli._tables import Cell, fit_table, named_columns
from kenshin.domain import PortState, Protocol, ScanReport
from kenshin.jobs import JobError, JobRunner, JobStatus, runner_for
from kenshin.scan import (
    EmergencyStop,
    ScanError,
    TcpMode,
    parse_ports,
    port_ranges,
    profile,
    report_document,
    report_nmap_xml,
    service_name,
    top_ports,
    write_json,
)
from kenshin.scan.plan import default_ports
from kenshin.scan.session import (
    Resumption,
    ScanRequest,
    find_resumption,
    prepare_scan,
)
from kenshin.scan.storage import ScanRunRepository
from kenshin.scope import current_actor

STOP_WAIT_SECONDS = 60.0
"""How long Ctrl-C waits for the scan job to stop sending and close its run."""


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


def _summary(notes: Sequence[str], report: ScanReport, wide: bool) -> None:
    # host and port stay whole (copied into the next command); the probe's reason goes first
    drops = {"reason": 3, "service": 2, "product": 1}
    names = ("host", "port", "state", "reason", "service", "product")
    columns = named_columns(STATE.t, "cli.scan.col", names, drops, whole={"host", "port"})
    rows: list[list[Cell]] = []
    for host in report.hosts:
        for result in host.ports:
            if result.state not in (PortState.OPEN, PortState.OPEN_FILTERED):
                continue
            if (
                result.state is PortState.OPEN_FILTERED
                and result.identity is None
                and len(rows) > 200
            ):
                continue
            identity = result.identity
            service = (
                identity.service
                if identity
                else (f"{service_name(result.protocol, result.port) or '-'}?")
            )
            product = f"{identity.product} {identity.version}".strip() if identity else ""
            rows.append(
                [
                    host.address,
                    f"{result.port}/{result.protocol.value}",
                    result.state.value,
                    result.reason,
                    service,
                    product or "-",
                ]
            )
    if rows:
        title = STATE.t("cli.scan.table_title")
        console.print(fit_table(console, columns, rows, lang=STATE.lang, title=title, wide=wide))
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
    for note in notes:
        say(note)


def _job_params(
    request: ScanRequest, overrides: dict[str, float | int | None], resume: bool
) -> dict[str, str]:
    """The scan job's parameters for exactly this request (the ports listed, not re-derived)."""
    params = {
        "targets": ",".join(request.targets),
        "ports": port_ranges(sorted(set(request.tcp_ports))) or "none",
        "udp_ports": port_ranges(sorted(set(request.udp_ports))) or "none",
        "mode": request.mode.value,
        "profile": request.settings.profile,
        "identify": str(request.identify).lower(),
        "fit_window": str(request.fit_window).lower(),
        "port_choice": request.port_choice,
    }
    if resume:
        params["resume"] = "true"
    params.update({name: str(value) for name, value in overrides.items() if value is not None})
    return params


def _follow_scan(runner: JobRunner, job_id: str, request: ScanRequest, show: bool) -> JobStatus:
    """Follow the scan job to its end; Ctrl-C stops its sending and keeps what it found."""
    try:
        return follow(runner, job_id, show)
    except KeyboardInterrupt:
        if not runner.status(job_id).state.finished:
            runner.cancel(job_id)
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while not runner.status(job_id).state.finished and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        with STATE.store().session() as session:
            run = ScanRunRepository(session).latest_resumable(request.engagement)
        if run is None:
            say("jobs.cli.cancelled", id=job_id)
        else:
            target = request.engagement or "--target ..."
            say("cli.scan.interrupted", uid=run.uid, target=target)
        raise typer.Exit(130) from None


def _show_run(
    status: JobStatus,
    request: ScanRequest,
    json_file: Path | None,
    xml_file: Path | None,
    wide: bool,
) -> None:
    """Print the stored run of a finished scan job and write its files."""
    uid = status.result["scan_run"]
    with STATE.store().session() as session:
        runs = ScanRunRepository(session)
        run, report = runs.get(uid), runs.report(uid)
    for change in run.options.get("rate_changes", []):
        say(
            "scan.rate_changed",
            old=round(float(change["from"])),
            new=round(float(change["to"])),
            reason=STATE.t(f"scan.rate_reason.{change['reason']}"),
        )
    _summary(run.notes, report, wide)
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
                profile=request.settings.profile,
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
    job_seconds = (
        (status.finished_at - status.started_at).total_seconds()
        if status.finished_at and status.started_at
        else 0.0
    )
    say(
        "cli.scan.finished",
        uid=uid,
        hosts=len(report.hosts),
        open=sum(len(host.open_ports()) for host in report.hosts),
        seconds=round(run.active_seconds or job_seconds),  # every part of a resumed run
        mode=mode_used or "-",
    )


def scan(
    engagement: Annotated[str | None, typer.Argument()] = None,
    target: Annotated[
        list[str] | None,
        typer.Option("--target", "-t"),
    ] = None,
    ports: Annotated[
        str | None,
        typer.Option("--ports", "-p"),
    ] = None,
    top: Annotated[int | None, typer.Option("--top-ports")] = None,
    udp_ports: Annotated[str | None, typer.Option("--udp-ports")] = None,
    udp_top: Annotated[
        int | None,
        typer.Option("--udp-top"),
    ] = None,
    mode: Annotated[str, typer.Option("--mode")] = "auto",
    profile_name: Annotated[str, typer.Option("--profile")] = "hospital",
    rate: Annotated[float | None, typer.Option("--rate")] = None,
    max_connections: Annotated[int | None, typer.Option("--max-connections")] = None,
    per_host: Annotated[int | None, typer.Option("--per-host")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout")] = None,
    retries: Annotated[int | None, typer.Option("--retries")] = None,
    no_identify: Annotated[
        bool,
        typer.Option("--no-identify"),
    ] = False,
    resume: Annotated[bool, typer.Option("--resume")] = False,
    json_file: Annotated[Path | None, typer.Option("--json")] = None,
    xml_file: Annotated[Path | None, typer.Option("--nmap-xml")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress")] = False,
    fit_window: Annotated[
        bool,
        typer.Option("--fit-window"),
    ] = False,
    wide: WideOpt = False,
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
    show = not no_progress
    if not on_workers():  # workers plan (and wait for the window) themselves
        prepared = prepare_scan(store, request, resume=resumption)
        for line in prepared.lines(STATE.lang):
            console.print(line, highlight=False, markup=False)
        request = prepared.request
        hosts = len(prepared.plan.targets)
        say(
            "cli.scan.started",
            hosts=hosts,
            tcp=len(request.tcp_ports),
            udp=len(request.udp_ports),
            profile=settings.profile,
            rate=int(settings.ceiling(hosts)),
        )
    overrides: dict[str, float | int | None] = {
        "rate": rate,
        "max_connections": max_connections,
        "per_host": per_host,
        "timeout": timeout,
        "retries": retries,
    }
    runner = runner_for(store, STATE.scan_pipeline())
    job_id = start_scan(
        store,
        runner,
        request.engagement,
        _job_params(request, overrides, resumption is not None),
        actor=current_actor(),
    )
    if on_workers() and show:
        say("jobs.cli.on_workers", id=job_id)
    status = succeeded(_follow_scan(runner, job_id, request, show))
    _show_run(status, request, json_file, xml_file, wide)


def scan_stop(
    clear: Annotated[bool, typer.Option("--clear")] = False,
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
    engagement: Annotated[str | None, typer.Argument()] = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """スキャン記録の一覧 / List stored scan runs."""
    with STATE.store().session() as session:
        runs = ScanRunRepository(session).runs(engagement)
    if json_or_empty(as_json, [run.__dict__ for run in runs], "cli.scan.no_runs"):
        return
    # the run's ID stays whole (copied into report and diagnose); its targets go first
    drops = {"targets": 1, "started": 2, "source": 3, "mode": 4}
    names = ("uid", "source", "status", "started", "mode", "targets")
    columns = named_columns(STATE.t, "cli.scan.runs_col", names, drops, whole={"uid"})
    rows: list[list[Cell]] = [
        [
            run.uid,
            run.source,
            run.status.value,
            run.started_at.isoformat(timespec="seconds"),
            run.tcp_mode or "-",
            ", ".join(run.targets[:4]) + (" …" if len(run.targets) > 4 else ""),
        ]
        for run in runs
    ]
    title = STATE.t("cli.scan.runs_title", code=engagement or "-")
    console.print(fit_table(console, columns, rows, lang=STATE.lang, title=title, wide=wide))
