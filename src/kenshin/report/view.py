"""The report's content in one language: every section as a typed, frozen value.

``build_view(report_input, lang)`` does all the deciding (what to say, in which
order, what to leave out and why), section by section (``sections/``); the templates
only lay it out. The same view feeds the HTML/PDF, the Excel list and the JSON exports,
so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from kenshin.assess import load_checklist
from kenshin.report.fixes import device_fixes
from kenshin.report.gaps import assess
from kenshin.report.model import ReportInput
from kenshin.report.sections.actions import ActionSheet, action_sheets
from kenshin.report.sections.appendix import Appendix, build_appendix
from kenshin.report.sections.checklist import ChecklistSection, build_checklist
from kenshin.report.sections.context import ViewContext, address_statuses
from kenshin.report.sections.firmware import FirmwareSection, build_firmware
from kenshin.report.sections.items import FindingItem, finding_items
from kenshin.report.sections.points import Points, build_points
from kenshin.report.sections.remote import Remote, build_remote
from kenshin.report.sections.requests import RequestLine, build_requests
from kenshin.report.sections.scope import Scope, build_scope
from kenshin.report.sections.summary import Cover, Summary, build_cover, build_summary
from kenshin.report.sections.terminals import TerminalsSection, build_terminals


@dataclass(frozen=True)
class ReportView(ViewContext):
    """The assessed report (``ViewContext``) and every section, in the report's order."""

    items: tuple[FindingItem, ...]  # every finding as the report shows it, priority order
    cover: Cover
    summary: Summary
    scope: Scope
    points: Points
    firmware: FirmwareSection
    remote: Remote
    terminals: TerminalsSection
    checklist_table: ChecklistSection
    requests: tuple[RequestLine, ...] | None  # None: the requests are not known
    sheets: tuple[ActionSheet, ...]
    appendix: Appendix


def view_context(report: ReportInput, lang: str) -> ViewContext:
    """``report`` assessed, in ``lang``: what every section is built from."""
    findings, results = assess(report)
    return ViewContext(
        lang=lang,
        input=report,
        findings=findings,
        checklist=load_checklist(),
        checklist_results=results,
        addresses=address_statuses(report.engagement, report.scan),
        fixes=device_fixes(findings, report.firmware),
    )


def build_view(report: ReportInput, lang: str) -> ReportView:
    """Everything the templates and exports need, in ``lang``."""
    context = view_context(report, lang)
    items = finding_items(context)
    by_id = {item.id: item for item in items}
    return ReportView(
        **{f.name: getattr(context, f.name) for f in fields(ViewContext)},
        items=items,
        cover=build_cover(context),
        summary=build_summary(context, items),
        scope=build_scope(context),
        points=build_points(context, by_id),
        firmware=build_firmware(context, by_id),
        remote=build_remote(context, by_id),
        terminals=build_terminals(context, by_id),
        checklist_table=build_checklist(context),
        requests=build_requests(context),
        sheets=action_sheets([item for item in items if item.open], context.lang, context.fixes),
        appendix=build_appendix(context, items),
    )
