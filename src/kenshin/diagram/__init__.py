"""The connection-point diagram (外部接続点 構成図): Graphviz layout, Japanese labels.

``render_svg(engagement)`` and ``render_png(engagement, path)`` draw the physical
configuration around the external connection points with a legend (凡例): diagnosis
points (脆弱性診断箇所), the survey range (調査範囲) and lines held by a vendor.
"""

from kenshin.diagram._graph import FONT, DiagramText, to_dot
from kenshin.diagram._inline import inline_svg, safe_inline_svg
from kenshin.diagram._render import (
    DiagramError,
    dot_warnings,
    missing_glyphs,
    render_bytes,
    render_png,
    render_svg,
)

__all__ = [
    "FONT",
    "DiagramError",
    "DiagramText",
    "dot_warnings",
    "inline_svg",
    "missing_glyphs",
    "render_bytes",
    "render_png",
    "render_svg",
    "safe_inline_svg",
    "to_dot",
]
