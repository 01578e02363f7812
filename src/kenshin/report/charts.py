"""Charts as SVG text: inline in the HTML, drawn as vectors by WeasyPrint in the PDF.

A horizontal bar chart is all the report needs (findings by priority, by area); a
few lines of SVG do it without a plotting library, and the text stays text (it is
searchable and extracts from the PDF).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = "'Noto Sans CJK JP', 'Noto Sans JP', sans-serif"


def bar_chart(
    rows: Sequence[tuple[str, int, str]],
    *,
    title: str,
    empty: str,
    width: int = 330,
    bar_height: int = 20,
    gap: int = 8,
    label_width: int = 118,
) -> str:
    """An SVG bar chart of ``(label, value, colour)`` rows with its title."""
    top = 30
    height = top + len(rows) * (bar_height + gap) + 6
    value_room = 40
    biggest = max((value for _, value, _ in rows), default=0)
    scale = (width - label_width - value_room) / biggest if biggest else 0.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}">',
        f'<text x="0" y="16" font-family="{FONT}" font-size="13" font-weight="bold" '
        f'fill="#1f2a44">{escape(title)}</text>',
    ]
    for i, (label, value, colour) in enumerate(rows):
        y = top + i * (bar_height + gap)
        bar = max(value * scale, 0.0)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" '
            f'font-family="{FONT}" font-size="11.5" fill="#1f2a44">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{width - label_width - value_room}" '
            f'height="{bar_height}" fill="#eef1f6" rx="2"/>'
        )
        if bar > 0:
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{bar:.1f}" height="{bar_height}" '
                f'fill="{escape(colour)}" rx="2"/>'
            )
        parts.append(
            f'<text x="{label_width + bar + 6:.1f}" y="{y + bar_height * 0.7:.1f}" '
            f'font-family="{FONT}" font-size="11.5" font-weight="bold" fill="#1f2a44">'
            f"{value}</text>"
        )
    if biggest == 0:
        parts.append(
            f'<text x="{width - 4}" y="16" text-anchor="end" font-family="{FONT}" '
            f'font-size="10.5" fill="#5b6478">{escape(empty)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
