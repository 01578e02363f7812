"""Requests as a PDF (WeasyPrint; Japanese text in Noto Sans CJK JP), one letter per page."""

from __future__ import annotations

from html import escape
from pathlib import Path

from kenshin.domain import Engagement
from kenshin.requests._documents import render_letter
from kenshin.requests._model import RequestError, VendorRequest

_CSS = """
@page { size: A4; margin: 20mm 18mm; }
body { font-family: "Noto Sans CJK JP", sans-serif; font-size: 10.5pt; line-height: 1.6; }
h1 { font-size: 13pt; border-bottom: 1px solid #1f4e79; padding-bottom: 4pt; }
pre { font-family: inherit; white-space: pre-wrap; margin: 0; }
section + section { page-break-before: always; }
"""


def render_html(
    engagement: Engagement, requests: list[VendorRequest], lang: str = "ja", surveyor: str = ""
) -> str:
    sections = []
    for request in requests:
        letter = render_letter(engagement, request, lang, surveyor)
        sections.append(
            f"<section><h1>{escape(letter.subject)}</h1><pre>{escape(letter.body)}</pre></section>"
        )
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{escape(engagement.code)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(sections)}</body></html>"
    )


def write_pdf(
    engagement: Engagement,
    requests: list[VendorRequest],
    path: Path,
    lang: str = "ja",
    surveyor: str = "",
) -> Path:
    """Write the letters of ``requests`` to a PDF file."""
    from weasyprint import HTML

    try:
        HTML(string=render_html(engagement, requests, lang, surveyor)).write_pdf(str(path))
    except OSError as exc:
        raise RequestError("requests.cannot_write", path=str(path), reason=str(exc)) from None
    return path
