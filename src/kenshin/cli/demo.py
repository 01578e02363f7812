"""``kenshin demo``: the whole check-up of the bundled demo hospital, start to end.

This is the README's first command. It walks the survey in the order the specification
gives — engagement, authorisation and the day's IP confirmation, remote diagnosis of
the internet-facing addresses (served by the test lab on this machine), firmware
checks, vendor requests, the terminal survey — and ends with the report.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from importlib import resources
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated

import typer
from rich.rule import Rule

from kenshin.cli._common import say
from kenshin.cli._options import WideOpt
from kenshin.cli._state import STATE, console
from kenshin.cli.summary import render_summary
from kenshin.domain import (
    AddressAssignment,
    AddressConfirmation,
    Authorisation,
    DiagnosisWindow,
    Engagement,
    ScanReport,
)
from kenshin.domain.clock import JST, japan_clock, japan_time
from kenshin.intake import read_file
from kenshin.store import EngagementRepository, FindingRepository, now_utc

DEMO_FILE = "demo-hospital.yaml"


def demo_file() -> Path:
    return Path(str(resources.files("kenshin") / "data" / "demo" / DEMO_FILE))


def _step(number: int, key: str) -> None:
    heading = f"[bold]{number}. {STATE.t(key)}[/]"
    console.print(Rule(heading, align="left") if console.is_terminal else f"\n── {heading}")


def _for_today(engagement: Engagement, addresses: dict[str, str]) -> Engagement:
    """The demo engagement authorised for a window around now, its dynamic IP confirmed
    today — what the hospital and the surveyor do on a real diagnosis day — and, when the
    lab runs on loopback (no root), its addresses moved to where the lab serves them."""
    now = now_utc()
    authorisation = engagement.authorisation or Authorisation("デモ", now)
    points = []
    for point in engagement.connection_points:
        moved = []
        for address in point.addresses:
            target = addresses.get(str(address.address), str(address.address))
            confirmations = address.confirmations
            if address.assignment is AddressAssignment.DYNAMIC:
                confirmations = (
                    *confirmations,
                    AddressConfirmation(now, STATE.t("cli.demo.confirmer")),
                )
            moved.append(
                dataclasses.replace(
                    address, address=ip_address(target), confirmations=confirmations
                )
            )
        points.append(dataclasses.replace(point, addresses=tuple(moved)))
    return dataclasses.replace(
        engagement,
        authorisation=dataclasses.replace(authorisation, approved_at=now - timedelta(hours=1)),
        window=DiagnosisWindow(now - timedelta(minutes=30), now + timedelta(hours=4)),
        connection_points=tuple(points),
    )


def demo(
    file: Annotated[Path | None, typer.Option("--file")] = None,
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("out/demo-2026"),
    summary_only: Annotated[bool, typer.Option("--summary-only")] = False,
    wide: WideOpt = False,
) -> None:
    """デモ総合病院の健診を最初から最後まで実行する / Run the demo hospital's whole check-up."""
    engagement = read_file(file or demo_file())
    store = STATE.store()
    _step(1, "cli.demo.step.engagement")
    with store.session() as session:
        created = EngagementRepository(session).save(engagement)
    say(
        "cli.engagement.imported_new" if created else "cli.engagement.imported_update",
        code=engagement.code,
    )
    with store.session() as session:
        summary = EngagementRepository(session).get(engagement.code)
    render_summary(summary, console, STATE.lang, wide)
    if summary_only:
        return

    from kenshin.lab import Lab

    _step(2, "cli.demo.step.lab")
    with Lab.start("demo") as lab:
        say(
            "cli.demo.lab_started",
            mode=lab.mode,
            addresses=", ".join(sorted(lab.host(r).address for r in ("cp01", "cp02"))),
        )
        moved = {"198.18.10.10": lab.host("cp01").address, "198.18.20.20": lab.host("cp02").address}
        _step(3, "cli.demo.step.authorise")
        today = _for_today(engagement, moved)
        with store.session() as session:
            EngagementRepository(session).save(today)
        window = today.window
        assert window is not None
        say(
            "cli.demo.authorised",
            start=japan_time(window.starts_at),
            end=japan_clock(window.ends_at),
        )
        _step(4, "cli.demo.step.scan")
        scan_report = _remote_diagnosis(today, wide)
    _step(5, "cli.demo.step.firmware")
    _firmware(today)
    _step(6, "cli.demo.step.requests")
    _requests(today)
    _step(7, "cli.demo.step.terminals")
    _terminals(today, wide)
    _step(8, "cli.demo.step.report")
    _report(today, output, scan_report is not None)


def _remote_diagnosis(engagement: Engagement, wide: bool) -> ScanReport | None:
    from kenshin.cli.diagnose import findings_table
    from kenshin.scan import LAB, TcpMode
    from kenshin.scan.plan import default_ports
    from kenshin.scan.session import ScanRequest, prepare_scan, scan_and_store

    tcp_ports, udp_ports = default_ports()
    request = ScanRequest(
        engagement=engagement.code,
        tcp_ports=tcp_ports,
        udp_ports=udp_ports,
        mode=TcpMode.AUTO,
        settings=LAB,
    )
    say("cli.demo.scanning", tcp=len(request.tcp_ports), udp=len(request.udp_ports))
    prepared = prepare_scan(STATE.store(), request)
    for line in prepared.lines(STATE.lang):
        console.print(line, highlight=False, markup=False)
    stored = scan_and_store(
        STATE.store(), request, prepared=prepared, pipeline=STATE.scan_pipeline()
    )
    findings = [f for host in stored.report.hosts for f in host.findings]
    opened = sum(len(host.open_ports()) for host in stored.report.hosts)
    say("cli.demo.scanned", open=opened, findings=len(findings), run=stored.uid)
    console.print(findings_table(findings, wide))
    return stored.report


def _firmware(engagement: Engagement) -> None:
    from kenshin.firmware import check_engagement
    from kenshin.vulndb import open_knowledge_base

    kb = open_knowledge_base()
    try:
        findings = check_engagement(engagement, kb)
    finally:
        kb.close()
    with STATE.store().session() as session:
        FindingRepository(session).record(engagement.code, findings)
    kev = sorted({cve for f in findings if f.kev for cve in f.cves})
    say("cli.demo.firmware", count=len(findings), kev=", ".join(kev) or "-")


def _requests(engagement: Engagement) -> None:
    from kenshin.cli._workflow import actor
    from kenshin.requests import RequestRepository

    with STATE.store().session() as session:
        drafted = RequestRepository(session).draft(engagement, now_utc(), actor())
    say("cli.demo.requests", count=len(drafted))


def _terminals(engagement: Engagement, wide: bool) -> None:
    from datetime import datetime

    from kenshin.cli.terminals import render_assessments
    from kenshin.terminals import import_demo_terminals, stored_assessments

    today = datetime.now(JST).date()
    with STATE.store().session() as session:
        import_demo_terminals(session, engagement.code, today)
    with STATE.store().session() as session:
        assessments = stored_assessments(session, engagement.code)
    render_assessments(engagement, assessments, console, STATE.lang, wide)


def _report(engagement: Engagement, output: Path, scanned: bool) -> None:
    from kenshin.report import write_report
    from kenshin.report.sources import gather_report_input

    files = write_report(gather_report_input(STATE.store(), engagement.code), output, STATE.lang)
    say("cli.demo.report", path=str(files.directory.resolve()))
    for path in files.all():
        console.print(f"  {path.resolve()}")
    if not scanned:
        say("cli.demo.not_scanned")
