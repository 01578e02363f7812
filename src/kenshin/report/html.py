"""The HTML report: Jinja2 templates per language, one self-contained file.

Everything is inline (CSS, SVG charts, the diagram), no fonts or scripts are fetched,
so the file opens offline and is exactly what WeasyPrint lays out for the PDF.
"""

from __future__ import annotations

from dataclasses import fields
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from kenshin.report.sections.context import ViewContext
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
    """The whole report as one HTML document in the view's language.

    The template gets every section ``ReportView`` adds to its context by the section's
    name, so a new section needs no second list here (the checklist table is
    ``checklist``).
    """
    template = environment().get_template(f"{view.lang}/report.html.j2")
    context_names = {f.name for f in fields(ViewContext)}
    sections = {f.name: getattr(view, f.name) for f in fields(view) if f.name not in context_names}
    sections["checklist"] = sections.pop("checklist_table")
    return template.render(
        t=view.t, lang=view.lang, engagement=view.engagement, group_items=group_items, **sections
    )
