"""The cover and the summary: who and when, the survey's parts, the judgement, the counts
and the most pressing actions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from kenshin.assess import AREAS, Priority
from kenshin.domain import Authorisation, PartState
from kenshin.i18n import in_language
from kenshin.report.charts import bar_chart
from kenshin.report.model import Versions
from kenshin.report.sections.actions import Action, top_actions
from kenshin.report.sections.context import (
    ViewContext,
    firmware_state,
    jst,
    remote_state,
    surveyed_firmware,
    terminals_state,
)
from kenshin.report.sections.items import FindingItem

PRIORITIES: tuple[Priority, ...] = tuple(Priority)
PRIORITY_COLOURS = {
    Priority.URGENT: "#b3122e",
    Priority.HIGH: "#e0561b",
    Priority.MEDIUM: "#d9a400",
    Priority.LOW: "#3b7dd8",
    Priority.INFO: "#8a94a6",
}
AREA_COLOUR = "#2d4a7a"
TOP_ACTIONS = 4


@dataclass(frozen=True)
class Cover:
    institution: str  # in the report's language where known
    institution_ja: str
    title: str
    generated: str
    period: str
    window: str | None
    authorisation: Authorisation | None  # the hospital's, as the engagement holds it
    authorised_on: str  # its date, as the report writes dates
    authors: tuple[str, ...]
    versions: Versions


def build_cover(context: ViewContext) -> Cover:
    report, engagement = context.input, context.engagement
    inst = engagement.institution
    auth = engagement.authorisation
    return Cover(
        institution=in_language(context.lang, inst.name, inst.name_en),
        institution_ja=inst.name,
        title=engagement.title,
        generated=jst(report.generated_at, with_time=False),
        period=(
            f"{engagement.survey_start:%Y-%m-%d} – {engagement.survey_end:%Y-%m-%d}"
            if engagement.survey_start and engagement.survey_end
            else "-"
        ),
        window=(
            f"{jst(engagement.window.starts_at)} – {jst(engagement.window.ends_at)}"
            if engagement.window
            else None
        ),
        authorisation=auth,
        authorised_on=jst(auth.approved_at, False) if auth else "-",
        authors=tuple(report.authors),
        versions=report.versions,
    )


@dataclass(frozen=True)
class SurveyPart:
    """One part of the survey: done, partly done (what is missing), or not done."""

    key: str
    name: str
    state: PartState
    state_label: str
    date: str
    detail: str
    missing: str


@dataclass(frozen=True)
class CountRow:
    """A bar of a summary chart (open findings per priority or area)."""

    key: str
    label: str
    count: int
    colour: str


@dataclass(frozen=True)
class Summary:
    open_count: int
    merged_count: int
    parts: tuple[SurveyPart, ...]
    not_done_parts: tuple[str, ...]
    judgement_level: str
    judgement_label: str
    judgement_text: str
    no_findings: str  # what an empty list of findings says (never "no problems" too early)
    top_actions: tuple[Action, ...]  # shown as cards
    more_actions: tuple[Action, ...]  # the rest of the pressing ones, as rows
    priority_counts: tuple[CountRow, ...]
    chart_priority: str
    chart_area: str


def build_summary(context: ViewContext, items: tuple[FindingItem, ...]) -> Summary:
    t = context.t
    open_items = [item for item in items if item.open]
    parts = survey_parts(context)
    not_done = tuple(p.name for p in parts if p.state is PartState.NOT_DONE)
    partly = [p.name for p in parts if p.state is PartState.PARTIAL]
    level, sentence = judgement(context)
    if level == "good" and (not_done or partly):
        level, sentence = "pending", "report.judgement.pending"
    counts = Counter(f.priority for f in context.open_findings)
    actions = top_actions(open_items, context.lang, context.fixes)
    compact = len(actions) > TOP_ACTIONS + 2
    priority_rows, area_rows = _count_rows(context)
    return Summary(
        open_count=len(open_items),
        merged_count=sum(1 for f in context.findings if len(f.merged) > 1),
        parts=parts,
        not_done_parts=not_done,
        judgement_level=level,
        judgement_label=t(f"report.judgement_label.{level}"),
        judgement_text=t(
            sentence,
            urgent=counts[Priority.URGENT],
            high=counts[Priority.HIGH],
            medium=counts[Priority.MEDIUM],
            low=counts[Priority.LOW],
            total=len(open_items),
            parts=context.sep.join([*not_done, *partly]),
        ),
        no_findings=(
            t("report.findings.none_yet", parts=context.sep.join([*not_done, *partly]))
            if not_done or partly
            else t("report.findings.none_at_all")
        ),
        top_actions=tuple(actions[:TOP_ACTIONS] if compact else actions),
        more_actions=tuple(actions[TOP_ACTIONS:] if compact else ()),
        priority_counts=priority_rows,
        chart_priority=bar_chart(
            [(r.label, r.count, r.colour) for r in priority_rows],
            title=t("report.chart.by_priority"),
            empty=t("report.chart.none"),
        ),
        chart_area=bar_chart(
            [(r.label, r.count, r.colour) for r in area_rows],
            title=t("report.chart.by_area"),
            empty=t("report.chart.none"),
        ),
    )


def judgement(context: ViewContext) -> tuple[str, str]:
    """The overall judgement: a level (for colour) and its sentence key."""
    counts = Counter(f.priority for f in context.open_findings)
    if counts[Priority.URGENT]:
        return "urgent", "report.judgement.urgent"
    if counts[Priority.HIGH]:
        return "high", "report.judgement.high"
    if counts[Priority.MEDIUM]:
        return "medium", "report.judgement.medium"
    if counts[Priority.LOW]:
        return "low", "report.judgement.low"
    return "good", "report.judgement.good"


def survey_parts(context: ViewContext) -> tuple[SurveyPart, ...]:
    """Every part of the survey with its state: done, partly done (what is missing), not done.

    The summary's judgement reads these: a part not done, or done only in part, can
    never make the report say "no problems".
    """
    report, t = context.input, context.t
    engagement = report.engagement
    issued = jst(report.generated_at, with_time=False)
    parts: list[SurveyPart] = []

    def part(key: str, state: PartState, date: str, detail: str, missing: list[str]) -> None:
        parts.append(
            SurveyPart(
                key=key,
                name=t(f"report.area.{key}"),
                state=state,
                state_label=t(f"report.part.{state}"),
                date=date,
                detail=detail,
                missing=context.sep.join(missing),
            )
        )

    in_scope = [p for p in engagement.connection_points if p.in_ehr_scope]
    unknown = [dev.key for dev in engagement.versions_missing()]
    holderless = [p.key for p in in_scope if p.contract_holder.unknown]
    part(
        "connection_points",
        PartState.PARTIAL
        if unknown or holderless
        else PartState.DONE
        if in_scope
        else PartState.NOT_DONE,
        issued,
        t(
            "report.cov.points",
            inscope=len(in_scope),
            total=len(engagement.connection_points),
            devices=len(engagement.devices),
        ),
        [
            *([t("report.part.holderless", keys=", ".join(holderless))] if holderless else []),
            *([t("report.part.missing_versions", keys=", ".join(unknown))] if unknown else []),
        ],
    )
    surveyed = surveyed_firmware(report)
    if surveyed is None:
        part("firmware", PartState.NOT_DONE, "-", t("report.not_done_section"), [])
    else:
        unchecked = [r.device.key for r in surveyed if not r.status.judged]
        checked = len(surveyed) - len(unchecked)
        part(
            "firmware",
            firmware_state(report),
            issued,
            t("report.cov.firmware", checked=checked, total=len(surveyed)),
            [t("report.part.unchecked_devices", keys=", ".join(unchecked))] if unchecked else [],
        )
    if report.scan is None:
        part("remote", PartState.NOT_DONE, "-", t("report.not_done_section"), [])
    else:
        left = [a for a in context.addresses if not a.diagnosed]
        part(
            "remote",
            remote_state(context.addresses),
            jst(report.scan.started_at, with_time=False),
            t(
                "report.cov.remote",
                done=len(context.addresses) - len(left),
                total=len(context.addresses),
            ),
            [
                f"{a.address}（{t(a.reason_key)}）"
                if context.lang == "ja"
                else f"{a.address} ({t(a.reason_key)})"
                for a in left
            ],
        )
    if report.terminals is None:
        part("terminals", PartState.NOT_DONE, "-", t("report.not_done_section"), [])
    else:
        unaudited = report.terminals_left
        part(
            "terminals",
            terminals_state(report),
            issued,
            t("report.cov.terminals", count=len(report.terminals), limit=engagement.terminal_limit),
            [t("report.part.terminals_left", keys=", ".join(unaudited))] if unaudited else [],
        )
    return tuple(parts)


def _count_rows(context: ViewContext) -> tuple[tuple[CountRow, ...], tuple[CountRow, ...]]:
    by_priority = Counter(f.priority for f in context.open_findings)
    by_area = Counter(f.area for f in context.open_findings)
    priority_rows = tuple(
        CountRow(
            p.value, context.t(f"report.priority.{p.value}"), by_priority[p], PRIORITY_COLOURS[p]
        )
        for p in PRIORITIES
    )
    area_rows = tuple(
        CountRow(a.value, context.t(f"report.area.{a.value}"), by_area[a], AREA_COLOUR)
        for a in AREAS
    )
    return priority_rows, area_rows
