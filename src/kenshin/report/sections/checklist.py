"""Section 6, the MHLW checklist: each item's result as the survey shows it, and why."""

from __future__ import annotations

from dataclasses import dataclass

from kenshin.assess import ChecklistResult
from kenshin.i18n import in_language
from kenshin.report.sections.context import ViewContext


@dataclass(frozen=True)
class ChecklistLine:
    ref: str
    text: str
    status: str
    status_label: str
    reason: str
    findings: tuple[str, ...]  # the finding numbers behind the result


@dataclass(frozen=True)
class ChecklistSection:
    title: str
    edition: str
    published: str
    lines: tuple[ChecklistLine, ...]  # in the order of the checklist's results

    def count(self, status: str) -> int:
        """Items with the result ``status`` (a ``ChecklistStatus`` value)."""
        return sum(1 for line in self.lines if line.status == status)


def build_checklist(context: ViewContext) -> ChecklistSection:
    checklist, lang, t = context.checklist, context.lang, context.t
    results = context.checklist_results

    return ChecklistSection(
        title=in_language(lang, checklist.title_ja, checklist.title_en),
        edition=in_language(lang, checklist.name_ja, checklist.name_en),
        published=checklist.published,
        lines=tuple(
            ChecklistLine(
                ref=r.item.ref,
                text=r.item.text(lang),
                status=r.status.value,
                status_label=t(f"report.checklist.{r.status.value}"),
                reason=t(r.reason, **_reason_params(context, r)),
                findings=tuple(r.finding_ids),
            )
            for r in results
        ),
    )


def _reason_params(context: ViewContext, result: ChecklistResult) -> dict[str, str]:
    params = dict(result.params)
    if "where" in params:
        params["where"] = (
            context.t("report.checklist.where", keys=params["where"]) if params["where"] else ""
        )
    if "sources" in params:
        params["sources"] = context.sep.join(
            context.t(f"report.source_kind.{s}") for s in params["sources"].split(",") if s
        )
    return params
