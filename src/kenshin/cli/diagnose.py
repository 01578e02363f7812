"""``kenshin diagnose``: the diagnosis checks on a stored scan run of an engagement."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from kenshin.checks import CheckSettings, default_checks, diagnose, roles_by_address
from kenshin.cli._common import load, print_json, say
from kenshin.cli._state import STATE, console
from kenshin.domain import Finding
from kenshin.scan.storage import ScanRunRepository
from kenshin.scope import scope_for_engagement
from kenshin.store import FindingRepository, finding_fingerprint


def findings_table(findings: list[Finding]) -> Table:
    """Findings sorted by severity, as the terminal shows them."""
    table = Table(title=STATE.t("cli.diagnose.title"), title_justify="left", expand=True)
    for key in ("web.severity", "web.finding", "web.target", "cli.diagnose.evidence"):
        table.add_column(STATE.t(key), overflow="fold")
    style = {
        "critical": "bold red",
        "high": "red",
        "medium": "yellow",
        "low": "cyan",
        "info": "dim",
    }
    for finding in sorted(findings, key=lambda f: (f.severity.rank, f.subject.describe())):
        table.add_row(
            f"[{style[finding.severity.value]}]"
            f"{STATE.t('label.severity.' + finding.severity.value)}[/]"
            + (" KEV" if finding.kev else ""),
            finding.title(STATE.lang),
            finding.subject.describe(),
            finding.evidence[:160],
        )
    return table


def diagnose_command(
    engagement: Annotated[str, typer.Argument(help="Engagement code.")],
    run: Annotated[
        str | None, typer.Option("--run", help="Scan run id (default: the newest finished).")
    ] = None,
    active_confirmation: Annotated[
        bool,
        typer.Option(
            "--active-confirmation",
            help="Confirm shells with a harmless echo (only if the engagement allows).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Findings as JSON on stdout.")] = False,
) -> None:
    """脆弱性・バックドア・アカウント診断 / Run the diagnosis checks on a stored scan."""
    subject = load(engagement)
    scope = scope_for_engagement(subject)
    with STATE.store().session() as session:
        runs = ScanRunRepository(session)
        chosen = run or next((r.uid for r in runs.runs(engagement) if r.status == "finished"), None)
        if chosen is None:
            say("cli.diagnose.no_run", code=engagement)
            raise typer.Exit(1)
        report = runs.report(chosen)
    settings = CheckSettings(active_confirmation=active_confirmation)
    result = asyncio.run(
        diagnose(
            report.hosts,
            default_checks(),
            allowed=scope.allows,
            settings=settings,
            device_roles=roles_by_address(subject),
        )
    )
    with STATE.store().session() as session:
        FindingRepository(session).record(engagement, result.findings)
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
                for f in result.findings
            ]
        )
        return
    console.print(findings_table(list(result.findings)))
    for error in result.errors:
        say("cli.diagnose.check_failed", detail=error)
    say("cli.diagnose.done", count=len(result.findings), run=chosen)
