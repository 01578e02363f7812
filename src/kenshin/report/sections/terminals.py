"""Section 5, the terminal survey: a row per check and a column per terminal, then every
bad or warning verdict in words, and the chosen terminals not surveyed."""

from __future__ import annotations

from dataclasses import dataclass

from kenshin.assess import Area, redact
from kenshin.domain import Terminal, VerdictStatus
from kenshin.report.model import AuditedTerminal
from kenshin.report.sections.context import ViewContext
from kenshin.report.sections.items import FindingItem

TERMINAL_COLUMNS = 5
# characters of a verdict's sentence shown in the terminal table (ok / otherwise)
CELL_SHORT = 24
CELL_LONG = 44
_MARKS = {"ok": "○", "warning": "△", "bad": "×", "unknown": "－"}


@dataclass(frozen=True)
class Cell:
    """A mark and a short reason; the full sentence of every bad verdict is listed below."""

    status: str
    mark: str
    summary: str


@dataclass(frozen=True)
class CheckRow:
    label: str
    cells: tuple[Cell, ...]  # one per terminal of the table


@dataclass(frozen=True)
class TerminalTable:
    terminals: tuple[AuditedTerminal, ...]  # at most TERMINAL_COLUMNS
    rows: tuple[CheckRow, ...]


@dataclass(frozen=True)
class IssueLine:
    status: str
    label: str
    check: str
    summary: str


@dataclass(frozen=True)
class TerminalIssue:
    """Every bad or warning verdict of one terminal (none hidden by grouping)."""

    audited: AuditedTerminal
    role: str
    lines: tuple[IssueLine, ...]


@dataclass(frozen=True)
class TerminalsSection:
    audited: tuple[AuditedTerminal, ...] | None  # None: the terminal survey was not carried out
    tables: tuple[TerminalTable, ...]
    issues: tuple[TerminalIssue, ...]
    findings: tuple[FindingItem, ...]
    planned: tuple[Terminal, ...]  # the engagement's terminals
    left: tuple[Terminal, ...]  # the engagement's terminals with no result: not surveyed


def build_terminals(context: ViewContext, by_id: dict[str, FindingItem]) -> TerminalsSection:
    rows = context.input.terminals
    return TerminalsSection(
        audited=rows,
        tables=_tables(context, rows) if rows is not None else (),
        issues=_issues(context, rows) if rows is not None else (),
        findings=tuple(by_id[f.id] for f in context.by_area(Area.TERMINALS)),
        planned=context.engagement.terminals,
        left=tuple(
            t for t in context.engagement.terminals if t.key in context.input.terminals_left
        ),
    )


def _label(context: ViewContext, check: str) -> str:
    """The check's title as the terminals room names it, else "other check"."""
    key = f"terminals.title.{check.removeprefix('terminal.')}"
    label = context.t(key)
    return label if label != key else context.t("report.tcheck.other")


def _tables(context: ViewContext, rows: tuple[AuditedTerminal, ...]) -> tuple[TerminalTable, ...]:
    """The terminal survey transposed: a row per check, a column per terminal (≤ 5 a table)."""
    checks = _checks(rows)
    tables = []
    for start in range(0, len(rows), TERMINAL_COLUMNS):
        chunk = rows[start : start + TERMINAL_COLUMNS]
        tables.append(
            TerminalTable(
                terminals=chunk,
                rows=tuple(
                    CheckRow(
                        _label(context, check),
                        tuple(_cell(context, row, check) for row in chunk),
                    )
                    for check in checks
                ),
            )
        )
    return tuple(tables)


def _cell(context: ViewContext, row: AuditedTerminal, check: str) -> Cell:
    verdict = row.verdicts.get(check)
    if verdict is None:
        return Cell("unknown", _MARKS["unknown"], context.t("report.verdict.not_checked"))
    status = verdict.status.value
    summary = redact(verdict.summary(context.lang))
    if verdict.status is VerdictStatus.OK and len(summary) > CELL_SHORT:
        summary = context.t("terminals.status.ok")
    elif len(summary) > CELL_LONG:
        summary = summary[: CELL_LONG - 1] + "…"
    return Cell(status, _MARKS.get(status, _MARKS["unknown"]), summary)


def _issues(context: ViewContext, rows: tuple[AuditedTerminal, ...]) -> tuple[TerminalIssue, ...]:
    """Every bad or warning verdict of every terminal, in words (none hidden by grouping)."""
    issues = []
    for row in rows:
        lines = [
            IssueLine(
                status=verdict.status.value,
                label=context.t(f"terminals.status.{verdict.status.value}"),
                check=_label(context, check),
                summary=redact(verdict.summary(context.lang)),
            )
            for check in _checks((row,))
            if (verdict := row.verdicts[check]).status in (VerdictStatus.BAD, VerdictStatus.WARNING)
        ]
        lines.sort(key=lambda line: VerdictStatus(line.status).rank)  # worst first
        if lines:
            issues.append(
                TerminalIssue(
                    audited=row,
                    role=context.t(f"label.terminal.{row.terminal.role.value}"),
                    lines=tuple(lines),
                )
            )
    return tuple(issues)


def _checks(rows: tuple[AuditedTerminal, ...]) -> list[str]:
    """Every check of ``rows`` once, in the order the terminals room lists its verdicts
    (its rules' order, ``terminals.rules.RULES``); the report adds no order of its own."""
    seen: dict[str, None] = {}
    for row in rows:
        for check in row.verdicts:
            seen.setdefault(check, None)
    return list(seen)
