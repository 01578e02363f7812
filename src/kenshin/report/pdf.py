"""HTML → PDF through WeasyPrint, with Debian's Noto CJK fonts for Japanese.

WeasyPrint lays the same HTML out with the print rules of the stylesheet (@page, page
counters, running headers). Inline SVG stays vector in the PDF. Fonts come from
fontconfig: ``fonts-noto-cjk`` provides "Noto Sans CJK JP".
"""

from __future__ import annotations

import logging
from pathlib import Path

from kenshin.report.errors import ReportError


def _refuse_fetch(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """The report is self-contained: only inline ``data:`` resources may be read."""
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        result: dict[str, object] = default_url_fetcher(url)
        return result
    raise ValueError(f"the report does not fetch external resources ({url[:60]})")


def write_pdf(html: str, path: Path) -> None:
    """Render ``html`` into the PDF file ``path``."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # the Pango/HarfBuzz libraries are missing
        raise ReportError("report.error.render", stage="weasyprint", detail=str(exc)) from exc
    # WeasyPrint warns about every CSS property it does not know; the report's screen-only
    # rules are intended, so keep its log quiet unless something is really wrong.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = HTML(string=html, base_url=None, url_fetcher=_refuse_fetch)
    document.write_pdf(str(path))
