"""Gathering a ``ReportInput`` from the store and from the other rooms' results."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from kenshin import __version__
from kenshin.diagram import render_svg
from kenshin.domain import Engagement, Finding, ScanReport
from kenshin.report.model import (
    AuditedTerminal,
    FirmwareRow,
    KnowledgeVersion,
    ReportInput,
    RequestRow,
    ScanPacing,
    Versions,
)
from kenshin.store import EngagementRepository, FindingRepository


def _diagrams(engagement: Engagement, given: str | Mapping[str, str] | None) -> dict[str, str]:
    if isinstance(given, str):
        return {"ja": given, "en": given}
    if given is not None:
        return dict(given)
    return {lang: render_svg(engagement, lang) for lang in ("ja", "en")}


def _anchored(finding: Finding, address: str) -> Finding:
    """A scan host's finding names its host even when the check left the address out."""
    subject = finding.subject
    if subject.address or subject.device_key or subject.terminal_key or subject.point_key:
        return finding
    return replace(finding, subject=replace(subject, address=address))


def build_report_input(
    session: Session,
    engagement_code: str,
    *,
    scan: ScanReport | None = None,
    firmware: Iterable[FirmwareRow] | None = None,
    terminals: Iterable[AuditedTerminal] | None = None,
    diagram_svg: str | Mapping[str, str] | None = None,
    extra_findings: Iterable[Finding] = (),
    knowledge: Iterable[KnowledgeVersion] = (),
    authors: Iterable[str] = (),
    generated_at: datetime | None = None,
    requests: Iterable[RequestRow] | None = None,
    pacing: ScanPacing | None = None,
) -> ReportInput:
    """The report's input for ``engagement_code``.

    Reads the engagement and its stored findings from ``session``. The other sections
    come from the rooms that produce them; leave one out (``None``) when that part of
    the survey was not carried out, and the report says so. Findings attached to
    ``scan`` hosts and ``extra_findings`` are added to the stored ones; the assessment
    merges duplicates, so passing a finding that is also stored is harmless.
    ``diagram_svg`` is one SVG for both languages or ``{"ja": ..., "en": ...}``; when
    omitted, ``kenshin.diagram.render_svg`` draws it if that room is installed.
    """
    engagement = EngagementRepository(session).get(engagement_code)
    findings = list(FindingRepository(session).list(engagement_code))
    if scan is not None:
        for host in scan.hosts:
            findings.extend(_anchored(finding, host.address) for finding in host.findings)
    findings.extend(extra_findings)
    return ReportInput(
        engagement=engagement,
        versions=Versions(kenshin=__version__, knowledge=tuple(knowledge)),
        generated_at=generated_at or datetime.now(UTC),
        findings=tuple(findings),
        scan=scan,
        firmware=tuple(firmware) if firmware is not None else None,
        terminals=tuple(terminals) if terminals is not None else None,
        diagrams=_diagrams(engagement, diagram_svg),
        authors=tuple(authors),
        requests=tuple(requests) if requests is not None else None,
        pacing=pacing,
    )
