"""The HTML report: Jinja2 templates per language, one self-contained file.

Everything is inline (CSS, SVG charts, the diagram), no fonts or scripts are fetched,
so the file opens offline and is exactly what WeasyPrint lays out for the PDF.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from kenshin.report.sections.items import group_items
from kenshin.report.view import ReportView


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("kenshin.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )


def render_html(view: ReportView) -> str:
    """The whole report as one HTML document in the view's language."""
    template = environment().get_template(f"{view.lang}/report.html.j2")
    return template.render(
        t=view.t,
        lang=view.lang,
        engagement=view.engagement,
        items=view.items,
        cover=view.cover,
        summary=view.summary,
        scope=view.scope,
        points=view.points,
        firmware=view.firmware,
        remote=view.remote,
        terminals=view.terminals,
        checklist=view.checklist_table,
        requests=view.requests,
        sheets=view.sheets,
        appendix=view.appendix,
        group_items=group_items,
    )
