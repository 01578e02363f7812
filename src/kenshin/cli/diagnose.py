"""``kenshin diagnose``: the diagnosis checks on a stored scan run of an engagement.

With ``KENSHIN_BROKER_URL`` set the checks run as a diagnose job on the workers (inside
the engagement's diagnosis window); the command follows it and shows its findings.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import RenderableType

from kenshin.checks import CheckSettings, default_checks, diagnose, roles_by_address
from kenshin.cli._common import load, print_json, say
from kenshin.cli._jobs import on_workers, run_on_workers
from kenshin.cli._options import JsonOpt, WideOpt
from kenshin.cli._state import STATE, console
from kenshin.cli._tables import Cell, Column, fit_table
from kenshin.domain import Finding
from kenshin.jobs import JobKind, JobSpec
from kenshin.scan.session import store_audit
from kenshin.scan.storage import ScanRunRepository
from kenshin.scope import DIAGNOSE_ACTION, Gate, current_actor
from kenshin.store import FindingRepository, finding_fingerprint


def findings_table(findings: list[Finding], wide: bool = False) -> RenderableType:
    """Findings sorted by severity, as the terminal shows them (the evidence is left out
    first on a narrow terminal)."""
    columns = [
        Column(STATE.t(key), drop=1 if key == "cli.diagnose.evidence" else 0)
        for key in ("web.severity", "web.finding", "web.target", "cli.diagnose.evidence")
    ]
    rows: list[list[Cell]] = []
    style = {
        "critical": "bold red",
        "high": "red",
        "medium": "yellow",
        "low": "cyan",
        "info": "dim",
    }
    for finding in sorted(findings, key=lambda f: (f.severity.rank, f.subject.describe())):
        rows.append(
            [
                f"[{style[finding.severity.value]}]"
                f"{STATE.t('label.severity.' + finding.severity.value)}[/]"
                + (" KEV" if finding.kev else ""),
                finding.title(STATE.lang),
                finding.subject.describe(),
                finding.evidence[:160],
            ]
        )
    title = STATE.t("cli.diagnose.title")
    return fit_table(console, columns, rows, lang=STATE.lang, title=title, wide=wide, expand=True)


def diagnose_command(
    engagement: Annotated[str, typer.Argument()],
    run: Annotated[str | None, typer.Option("--run")] = None,
    active_confirmation: Annotated[
        bool,
        typer.Option("--active-confirmation"),
    ] = False,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """脆弱性・バックドア・アカウント診断 / Run the diagnosis checks on a stored scan."""
    subject = load(engagement)
    gate = Gate.for_engagement(subject, store_audit(STATE.store()), action=DIAGNOSE_ACTION)
    with STATE.store().session() as session:
        runs = ScanRunRepository(session)
        latest = None if run else runs.latest_finished(engagement)
        chosen = run or (latest.uid if latest is not None else None)
        if chosen is None:
            say("cli.diagnose.no_run", code=engagement)
            raise typer.Exit(1)
        report = runs.report(chosen)
    if on_workers():
        findings, errors = _diagnose_on_workers(engagement, chosen, active_confirmation, as_json)
    else:
        settings = CheckSettings(active_confirmation=active_confirmation)
        result = asyncio.run(
            diagnose(
                report.hosts,
                default_checks(),
                gate=gate,
                settings=settings,
                device_roles=roles_by_address(subject),
                engagement=subject,
            )
        )
        with STATE.store().session() as session:
            ScanRunRepository(session).record_devices(chosen, result.hosts)
            FindingRepository(session).record(engagement, result.findings)
        findings, errors = list(result.findings), [str(e) for e in result.errors]
    if as_json:
        print_json(
            [
                {
                    "fingerprint": finding_fingerprint(f),
                    "check_id": f.check_id,
                    "severity": f.severity.value,
                    "title": f.title(STATE.lang),
                    "subject": f.subject.describe(),
                    "cves": list(f.cves),
                    "kev": f.kev,
                    "evidence": f.evidence,
                }
                for f in findings
            ]
        )
        return
    console.print(findings_table(findings, wide))
    for error in errors:
        say("cli.diagnose.check_failed", detail=error)
    say("cli.diagnose.done", count=len(findings), run=chosen)


def _diagnose_on_workers(
    engagement: str, run: str, active_confirmation: bool, as_json: bool
) -> tuple[list[Finding], list[str]]:
    """The diagnose job on the workers; its findings read back from the store."""
    spec = JobSpec(
        JobKind.DIAGNOSE,
        engagement,
        {"run": run, "active_confirmation": str(active_confirmation).lower()},
        current_actor(),
    )
    result = run_on_workers(spec, show=not as_json).result
    wanted = set(filter(None, result.get("fingerprints", "").split(",")))
    with STATE.store().session() as session:
        stored = FindingRepository(session).list(engagement)
    findings = [f for f in stored if finding_fingerprint(f) in wanted]
    return findings, [line for line in result.get("error_details", "").splitlines() if line]
