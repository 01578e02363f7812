"""Importing collector files into an engagement, and reading the stored assessments back.

``import_terminal_files`` checks every file first (format, checksum, that its host is
one of the engagement's terminals, the terminal limit) and only then writes, in the
caller's session — so a bad file in a batch changes nothing at all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kenshin.domain import (
    Engagement,
    Finding,
    FindingStatus,
    Severity,
    Terminal,
    TerminalRole,
    VerdictStatus,
    next_free_key,
    refuse_closed,
)
from kenshin.domain.clock import as_utc
from kenshin.intake import to_document, validate_document
from kenshin.store import AuditLog, EngagementRepository, FindingRepository, finding_fingerprint
from kenshin.store.models import TerminalRow
from kenshin.store.models_terminals import TerminalResultRow, TerminalVerdictRow
from kenshin.terminals.assessment import TerminalAssessment, Verdict
from kenshin.terminals.engine import evaluate
from kenshin.terminals.errors import TerminalError
from kenshin.terminals.model import CollectedTerminal
from kenshin.terminals.parse import group_terminal_files

CHECK_PREFIX = "terminal."


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed every check, with the terminal it belongs to."""

    path: str
    collected: CollectedTerminal
    raw: str
    terminal_key: str
    new_terminal: bool = False


def check_files(
    engagement: Engagement, files: Sequence[tuple[str, bytes]], *, add_missing: bool = False
) -> list[CheckedFile]:
    """Read every file, group them per terminal, match each to the engagement's terminal.

    A collector JSON file is one terminal; text files of built-in commands are grouped by
    the host they name. Raises on the first problem; a closed engagement takes none.
    """
    refuse_closed(engagement, TerminalError)
    seen: dict[str, str] = {}
    checked: list[CheckedFile] = []
    planned = len(engagement.terminals)
    for group in group_terminal_files(files):
        collected, path = group.collected, ", ".join(group.paths)
        if not collected.host:
            raise TerminalError("terminals.text_no_host_at_all", path=path)
        terminal = next((t for t in engagement.terminals if collected.known_as(t.hostname)), None)
        # One file per terminal: the same registered terminal or the same new host twice.
        slot = terminal.key if terminal else collected.host.casefold()
        if slot in seen:
            raise TerminalError(
                "terminals.duplicate_host", host=collected.host, paths=f"{seen[slot]}, {path}"
            )
        seen[slot] = path
        new = False
        if terminal is None:
            if not add_missing:
                known = ", ".join(t.hostname for t in engagement.terminals) or "-"
                raise TerminalError(
                    "terminals.unknown_host",
                    path=path,
                    host=collected.host,
                    code=engagement.code,
                    known=known,
                )
            if planned >= engagement.terminal_limit:
                raise TerminalError(
                    "terminals.limit_reached",
                    path=path,
                    host=collected.host,
                    code=engagement.code,
                    limit=engagement.terminal_limit,
                )
            planned += 1
            taken = [t.key for t in engagement.terminals] + [c.terminal_key for c in checked]
            key = next_free_key("T-", taken)
            terminal = Terminal(key=key, hostname=collected.host, role=TerminalRole.OTHER)
            new = True
        checked.append(CheckedFile(path, collected, group.raw, terminal.key, new))
    return checked


def _add_terminals(session: Session, engagement: Engagement, new: list[CheckedFile]) -> None:
    """Add terminals through the one validation gate every engagement write passes."""
    document: dict[str, Any] = to_document(engagement)
    terminals = document.setdefault("terminals", [])
    for item in new:
        terminals.append(
            {"key": item.terminal_key, "hostname": item.collected.host, "role": "other"}
        )
    EngagementRepository(session).save(validate_document(document))


def import_terminal_files(
    session: Session,
    engagement_code: str,
    files: Sequence[tuple[str, bytes]],
    today: date,
    *,
    add_missing: bool = False,
    actor: str = "cli",
) -> list[TerminalAssessment]:
    """Check, evaluate and store collector files (``(name, bytes)`` pairs) for an engagement.

    Nothing is written unless every file is good. Re-importing a terminal replaces its
    result; findings that no longer appear are marked fixed.
    """
    engagement = EngagementRepository(session).get(engagement_code)
    checked = check_files(engagement, files, add_missing=add_missing)
    return store_checked_files(session, engagement_code, checked, today, actor=actor)


def store_checked_files(
    session: Session,
    engagement_code: str,
    checked: Sequence[CheckedFile],
    today: date,
    *,
    actor: str = "cli",
) -> list[TerminalAssessment]:
    """Evaluate and store files ``check_files`` has read (the web reads them in a child
    process, under a time limit, and stores them here)."""
    repository = EngagementRepository(session)
    engagement = repository.get(engagement_code)
    refuse_closed(engagement, TerminalError)  # closed since the files were read
    new = [c for c in checked if c.new_terminal]
    if new:
        _add_terminals(session, engagement, new)
    engagement_id = repository.engagement_id(engagement_code)
    terminal_ids: dict[str, int] = {
        key: row_id
        for key, row_id in session.execute(
            select(TerminalRow.key, TerminalRow.id).where(
                TerminalRow.engagement_id == engagement_id
            )
        )
    }
    findings = FindingRepository(session)
    existing = findings.list(engagement_code)
    assessments: list[TerminalAssessment] = []
    for item in checked:
        assessment = evaluate(item.collected, today, terminal_key=item.terminal_key)
        _store_result(session, engagement_id, terminal_ids[item.terminal_key], item, assessment)
        findings.record(engagement_code, assessment.findings)
        _close_resolved(findings, engagement_code, existing, item.terminal_key, assessment)
        assessments.append(assessment)
    AuditLog(session).note(
        actor,
        "terminal.import",
        engagement_code,
        targets=[c.collected.host for c in checked],
        details={c.terminal_key: c.collected.sha256 for c in checked},
    )
    return assessments


def _store_result(
    session: Session,
    engagement_id: int,
    terminal_id: int,
    item: CheckedFile,
    assessment: TerminalAssessment,
) -> None:
    row = session.scalar(
        select(TerminalResultRow).where(TerminalResultRow.terminal_id == terminal_id)
    )
    if row is None:
        row = TerminalResultRow(engagement_id=engagement_id, terminal_id=terminal_id)
        session.add(row)
    row.host = item.collected.host
    row.source = item.collected.source
    row.sha256 = item.collected.sha256
    row.os_summary = assessment.os_summary[:300]
    row.collected_at = item.collected.collected_at
    row.imported_at = datetime.now(UTC)
    row.evaluated_on = assessment.evaluated_on
    row.raw = item.raw
    row.verdicts.clear()
    session.flush()
    for position, verdict in enumerate(assessment.verdicts):
        row.verdicts.append(
            TerminalVerdictRow(
                position=position,
                check_id=verdict.check_id,
                status=verdict.status,
                severity=verdict.severity.value if verdict.severity else None,
                summary_ja=verdict.summary_ja,
                summary_en=verdict.summary_en,
                evidence=verdict.evidence,
                checklist=list(verdict.checklist),
            )
        )
    session.flush()


def _close_resolved(
    findings: FindingRepository,
    engagement_code: str,
    existing: list[Finding],
    terminal_key: str,
    assessment: TerminalAssessment,
) -> None:
    current = {finding_fingerprint(f) for f in assessment.findings}
    for old in existing:
        if old.subject.terminal_key != terminal_key or not old.check_id.startswith(CHECK_PREFIX):
            continue
        if old.status is FindingStatus.FIXED and finding_fingerprint(old) in current:
            # It was fixed and has come back: open it again.
            findings.set_status(engagement_code, finding_fingerprint(old), FindingStatus.OPEN)
        elif old.status is FindingStatus.OPEN and finding_fingerprint(old) not in current:
            findings.set_status(
                engagement_code,
                finding_fingerprint(old),
                FindingStatus.FIXED,
                f"not found when re-imported on {assessment.evaluated_on}",
            )


def verdict_status(kind: str) -> VerdictStatus:
    """A stored verdict's status; a kind this version does not know reads as "unknown"."""
    try:
        return VerdictStatus(kind)
    except ValueError:
        return VerdictStatus.UNKNOWN


def stored_assessments(session: Session, engagement_code: str) -> list[TerminalAssessment]:
    """The assessments stored for an engagement's terminals, in the engagement's order."""
    repository = EngagementRepository(session)
    engagement_id = repository.engagement_id(engagement_code)
    rows = session.scalars(
        select(TerminalResultRow)
        .where(TerminalResultRow.engagement_id == engagement_id)
        .options(selectinload(TerminalResultRow.verdicts))
    ).all()
    terminals = {
        row_id: (key, position)
        for row_id, key, position in session.execute(
            select(TerminalRow.id, TerminalRow.key, TerminalRow.position).where(
                TerminalRow.engagement_id == engagement_id
            )
        )
    }
    all_findings = FindingRepository(session).list(engagement_code)
    result: list[tuple[int, TerminalAssessment]] = []
    for row in rows:
        key, position = terminals[row.terminal_id]
        verdicts = tuple(
            Verdict(
                check_id=v.check_id,
                status=verdict_status(v.status),
                summary_ja=v.summary_ja,
                summary_en=v.summary_en,
                evidence=v.evidence,
                severity=Severity(v.severity) if v.severity else None,
                checklist=tuple(v.checklist),
            )
            for v in row.verdicts
        )
        fired = {v.check_id for v in verdicts if v.status is not VerdictStatus.OK}
        findings = tuple(
            f
            for f in all_findings
            if f.subject.terminal_key == key
            and f.check_id in fired
            and f.status is not FindingStatus.FIXED
        )
        result.append(
            (
                position,
                TerminalAssessment(
                    host=row.host,
                    os_summary=row.os_summary,
                    verdicts=verdicts,
                    findings=findings,
                    evaluated_on=row.evaluated_on,
                    collected_at=as_utc(row.collected_at),
                    terminal_key=key,
                    source=row.source,
                ),
            )
        )
    return [assessment for _, assessment in sorted(result, key=lambda pair: pair[0])]


def reading_to_json(collected: CollectedTerminal) -> dict[str, Any]:
    """What kenshin read from a terminal's files, JSON-ready (``kenshin terminal parse``)."""
    data = dataclasses.asdict(collected)
    data["os"]["full_build"] = collected.os.full_build
    return data


def assessment_to_json(assessment: TerminalAssessment) -> dict[str, Any]:
    """A plain JSON-ready dict of an assessment (for ``--json`` and the web)."""
    data = dataclasses.asdict(assessment)
    data["worst"] = assessment.worst
    return data
