"""``evaluate``: every rule over one collected terminal, as one frozen assessment."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from kenshin.domain import Finding, FindingSubject, VerdictStatus
from kenshin.terminals.assessment import NOT_EXAMINED, TerminalAssessment, Verdict, render
from kenshin.terminals.model import CollectedTerminal
from kenshin.terminals.rules import RULES, os_summary
from kenshin.terminals.textcombine import NOT_PROVIDED


def evaluate(
    collected: CollectedTerminal, today: date, *, terminal_key: str | None = None
) -> TerminalAssessment:
    """Judge one terminal as of ``today`` (tests pin it; the CLI passes the Japan date).

    ``terminal_key`` (e.g. ``T-01``) becomes the findings' subject; without it the host
    name stands in, for use outside an engagement.
    """
    subject = FindingSubject(terminal_key=terminal_key or collected.host)
    verdicts: list[Verdict] = []
    findings: list[Finding] = []
    for rule in RULES:
        result = rule(collected, today)
        if result.status is VerdictStatus.UNKNOWN and NOT_PROVIDED in result.evidence:
            # Text inputs: nothing was given for this check. Say "not examined".
            result = replace(result, outcome=NOT_EXAMINED, params=())
        verdict, finding = render(result, subject)
        verdicts.append(verdict)
        if finding is not None:
            findings.append(finding)
    return TerminalAssessment(
        host=collected.host,
        os_summary=os_summary(collected.os),
        verdicts=tuple(verdicts),
        findings=tuple(findings),
        evaluated_on=today,
        collected_at=collected.collected_at,
        terminal_key=terminal_key,
        source=collected.source,
    )
