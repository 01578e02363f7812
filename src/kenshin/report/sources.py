"""Gathering what the other rooms stored, in the report's own input types.

The report renders ``ReportInput``; this module reads the newest finished scan, checks
each device's firmware against the knowledge base and collects the terminal
assessments, so ``kenshin report`` and ``kenshin demo`` build the same report.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from kenshin.domain import Engagement, FirmwareStatus, PartState, ScanReport
from kenshin.firmware import check_engagement
from kenshin.report.build import build_report_input
from kenshin.report.model import (
    AuditedTerminal,
    FirmwareRow,
    KnowledgeVersion,
    ReportInput,
    RequestRow,
    ScanPacing,
    TerminalVerdict,
)
from kenshin.report.sections.context import address_statuses, remote_state
from kenshin.scan.storage import ScanRunRepository
from kenshin.store import EngagementRepository, Store
from kenshin.terminals import stored_assessments
from kenshin.terminals.assessment import TerminalAssessment
from kenshin.vulndb import KnowledgeBase, open_knowledge_base


def latest_scan(session: Session, engagement_code: str) -> ScanReport | None:
    """The newest finished scan run of the engagement, or None."""
    runs = ScanRunRepository(session)
    run = runs.latest_finished(engagement_code)
    return runs.report(run.uid) if run is not None else None


def remote_diagnosis_state(session: Session, engagement: Engagement) -> PartState:
    """The remote diagnosis's part of the survey as the report states it: how many of the
    engagement's addresses the newest finished scan run diagnosed (the web's board)."""
    return remote_state(address_statuses(engagement, latest_scan(session, engagement.code)))


def latest_pacing(session: Session, engagement_code: str) -> ScanPacing | None:
    """How the newest finished scan run was paced (profile, rate ceiling, changes)."""
    run = ScanRunRepository(session).latest_finished(engagement_code)
    coverage = run.coverage() if run is not None else []
    if not coverage:
        return None
    first = coverage[0]
    # what one address received at most: its own limit, or the whole scan's if lower
    limits = [r for r in (first["rate"], first["target_rate"]) if r is not None]
    return ScanPacing(
        profile=str(first["profile"]),
        rate=min(limits) if limits else None,
        adaptive=bool(first["adaptive"]),
        rate_changes=len(first["rate_changes"]),
        tcp_mode=str(first["tcp_mode"]),
        port_choice=str(first["port_choice"]),
    )


def firmware_rows(engagement: Engagement, kb: KnowledgeBase) -> list[FirmwareRow]:
    """One row per device: the firmware check's conclusion and what to do.

    The fix named is the firmware check's first upgrade (``FirmwareCheck.upgrades``: each
    release line's highest fixed version of the affecting vulnerabilities), the one update
    that closes them all; the CLI, the summary and findings.xlsx name the same version.
    """
    rows = []
    for device in engagement.devices:
        version = device.firmware_version if device.version_known else None
        check = kb.check_firmware(device.vendor, device.model, version)
        affected = [m for m in check.matches if m.status == "affected"]
        fix = next(iter(check.upgrades()), None)
        rows.append(
            FirmwareRow(
                device=device,
                status=FirmwareStatus(check.status),
                cves=tuple(m.cve for m in affected),
                kev=any(m.kev for m in affected),
                fixed_version=", ".join(fix.fixed_per_line.values()) if fix else "",
                advice_ja=check.message_ja,
                advice_en=check.message_en,
                scheme=fix.scheme if fix else "generic",
                kev_at_stake=not check.status.judged and any(m.kev for m in check.matches),
            )
        )
    return rows


def _terminal_row(engagement: Engagement, assessment: TerminalAssessment) -> AuditedTerminal | None:
    terminal = next((t for t in engagement.terminals if t.key == assessment.terminal_key), None)
    if terminal is None:
        return None
    return AuditedTerminal(
        terminal=terminal,
        os=assessment.os_summary,
        verdicts={
            v.check_id: TerminalVerdict(v.status, v.summary_ja, v.summary_en, v.checklist)
            for v in assessment.verdicts
        },
    )


def audited_terminals(
    engagement: Engagement, assessments: Sequence[TerminalAssessment]
) -> list[AuditedTerminal] | None:
    """The terminals room's assessments as report rows, in the engagement's order (the
    verdicts in the room's order of checks); None when none is of the engagement."""
    found = [_terminal_row(engagement, a) for a in assessments]
    rows = {row.terminal.key: row for row in found if row is not None}
    if not rows:
        return None
    return [rows[t.key] for t in engagement.terminals if t.key in rows]


def terminal_rows(session: Session, engagement: Engagement) -> list[AuditedTerminal] | None:
    """One row per audited terminal, in the engagement's order; None before any audit."""
    return audited_terminals(engagement, stored_assessments(session, engagement.code))


def request_rows(session: Session, engagement: Engagement) -> list[RequestRow]:
    """Every vendor request of the engagement, oldest first, with its answer (no secrets)."""
    from kenshin.requests import RequestRepository

    vendors = {v.key: v.company for v in engagement.vendors}
    rows = []
    for request in RequestRepository(session).for_engagement(engagement.code):
        recipient = request.recipient
        name = vendors.get(recipient.vendor_key or "", recipient.name or recipient.vendor_key or "")
        rows.append(
            RequestRow(
                ref=request.ref,
                vendor=name,
                device_key=request.device_key,
                point_key=request.point_key,
                path=request.path.value,
                state=request.state.value,
                wants=tuple(w.value for w in request.wants),
                sent_at=request.sent_at,
                answered_at=request.answered_at,
                answer=request.answer.as_dict() if request.answer else {},
                follows=f"#{request.follows}" if request.follows else None,
            )
        )
    return rows


def knowledge_versions(kb: KnowledgeBase) -> Sequence[KnowledgeVersion]:
    """The knowledge sources actually loaded, with their dates, for the report."""
    return [
        KnowledgeVersion(
            source.name,
            " ".join(
                x for x in (source.version or "", source.date or "", f"({source.records})") if x
            ),
        )
        for source in kb.sources()
        if source.loaded
    ]


def gather_report_input(store: Store, engagement_code: str) -> ReportInput:
    """Everything the survey stored for the engagement, as the report's input."""
    with store.session() as session:
        engagement = EngagementRepository(session).get(engagement_code)
    kb = open_knowledge_base()
    try:
        firmware = firmware_rows(engagement, kb)
        # the firmware table's verdicts are findings like any other (merged with stored ones)
        firmware_findings = check_engagement(engagement, kb)
        knowledge = knowledge_versions(kb)
    finally:
        kb.close()
    with store.session() as session:
        return build_report_input(
            session,
            engagement_code,
            scan=latest_scan(session, engagement_code),
            pacing=latest_pacing(session, engagement_code),
            firmware=firmware,
            terminals=terminal_rows(session, engagement),
            extra_findings=firmware_findings,
            requests=request_rows(session, engagement),
            knowledge=knowledge,
        )
