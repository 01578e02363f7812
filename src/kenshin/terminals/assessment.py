"""The result of judging one terminal: a verdict per check, and the findings they raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kenshin.domain import Finding, FindingCategory, FindingSubject, Severity, VerdictStatus
from kenshin.i18n import in_language, translate
from kenshin.terminals.knowledge import checkbook
from kenshin.terminals.model import CollectedTerminal

STATUSES: tuple[str, ...] = tuple(status.value for status in VerdictStatus)  # for counting


@dataclass(frozen=True)
class Verdict:
    """One check's conclusion about one terminal, in both languages, with its evidence."""

    check_id: str
    status: VerdictStatus
    summary_ja: str
    summary_en: str
    evidence: str = ""
    severity: Severity | None = None
    checklist: tuple[str, ...] = ()

    def summary(self, lang: str) -> str:
        return in_language(lang, self.summary_ja, self.summary_en)

    def title(self, lang: str) -> str:
        """The check's name, as every listing of terminal verdicts shows it."""
        return check_title(self.check_id, lang)


@dataclass(frozen=True)
class TerminalAssessment:
    """Everything kenshin concluded about one terminal."""

    host: str
    os_summary: str
    verdicts: tuple[Verdict, ...]
    findings: tuple[Finding, ...]
    evaluated_on: date
    collected_at: datetime | None = None
    terminal_key: str | None = None
    source: str = "kenshin.terminal/1"

    def verdict(self, check_id: str) -> Verdict:
        for verdict in self.verdicts:
            if verdict.check_id == check_id:
                return verdict
        raise KeyError(check_id)

    @property
    def counts(self) -> dict[str, int]:
        """How many verdicts have each status (every status named, zero or not)."""
        return {s: sum(1 for v in self.verdicts if v.status == s) for s in STATUSES}

    @property
    def worst(self) -> VerdictStatus:
        if not self.verdicts:
            return VerdictStatus.UNKNOWN
        return min((v.status for v in self.verdicts), key=lambda s: s.rank)


NOT_EXAMINED = "not_examined"
"""The outcome of any check no file spoke to (text inputs): one message for all checks."""


def _short(check_id: str) -> str:
    return check_id.removeprefix("terminal.")


def check_title(check_id: str, lang: str) -> str:
    """A terminal check's name (``terminals.title.*``), for verdicts and findings alike."""
    return translate(f"terminals.title.{_short(check_id)}", lang)


@dataclass(frozen=True)
class Outcome:
    """What a rule decided, before it becomes text: status, outcome key, parameters."""

    check_id: str
    status: VerdictStatus
    outcome: str
    params: tuple[tuple[str, object], ...] = ()
    evidence: str = ""


def outcome(
    check_id: str, status: VerdictStatus, key: str, evidence: str = "", **params: object
) -> Outcome:
    return Outcome(check_id, status, key, tuple(sorted(params.items())), evidence)


def unreadable(check_id: str, collected: CollectedTerminal, item: str) -> Outcome:
    """A rule that cannot judge: the collector's reason ``item`` was not read, if it gave one."""
    return outcome(
        check_id,
        VerdictStatus.UNKNOWN,
        "unreadable",
        collected.why_unreadable(item) or "not collected",
    )


def render(result: Outcome, subject: FindingSubject) -> tuple[Verdict, Finding | None]:
    """Turn a rule's outcome into a verdict (and a finding when it is not ok)."""
    spec = checkbook().checks[result.check_id]
    params = dict(result.params)
    short = _short(result.check_id)
    message = f"terminals.v.{short}.{result.outcome}"
    if result.outcome == NOT_EXAMINED:
        message = "terminals.v.not_examined"
    summary_ja = translate(message, "ja", **params)
    summary_en = translate(message, "en", **params)
    severity: Severity | None = None
    finding: Finding | None = None
    if result.status is not VerdictStatus.OK:
        severity = (
            Severity.INFO
            if result.status is VerdictStatus.UNKNOWN
            else Severity(spec.severity[result.outcome])
        )
        fix = f"terminals.fix.{short}.{result.outcome}"
        if result.status is VerdictStatus.UNKNOWN:
            fix = "terminals.fix.unknown"
        if result.outcome == NOT_EXAMINED:
            fix = "terminals.fix.not_examined"
        finding = Finding(
            check_id=result.check_id,
            category=FindingCategory(spec.category),
            severity=severity,
            title_ja=check_title(result.check_id, "ja"),
            title_en=check_title(result.check_id, "en"),
            subject=subject,
            description_ja=summary_ja,
            description_en=summary_en,
            remediation_ja=translate(fix, "ja", **params),
            remediation_en=translate(fix, "en", **params),
            evidence=result.evidence,
        )
    verdict = Verdict(
        check_id=result.check_id,
        status=result.status,
        summary_ja=summary_ja,
        summary_en=summary_en,
        evidence=result.evidence,
        severity=severity,
        checklist=spec.checklist,
    )
    return verdict, finding
