"""The diagram as SVG markup to place inside a web page, checked to be only a drawing.

Graphviz writes every label as escaped text (``&lt;script&gt;``), so what a person typed
cannot become markup. The check here is the second lock: the SVG is parsed (defusedxml)
and refused if it holds anything that can run or load something — scripts, foreign
objects, event attributes, links to other documents.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from kenshin.diagram._render import DiagramError, render_svg
from kenshin.domain import Engagement

_ACTIVE_ELEMENTS = frozenset(
    {
        "script",
        "foreignobject",
        "iframe",
        "object",
        "embed",
        "handler",
        "listener",
        "animate",
        "set",
        "animatetransform",
        "animatemotion",
    }
)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _is_active(element: Element) -> bool:
    if _local(element.tag) in _ACTIVE_ELEMENTS:
        return True
    for name, value in element.attrib.items():
        attribute = _local(name)
        if attribute.startswith("on"):
            return True
        if attribute == "href" and not value.startswith("#"):
            return True
        if "javascript:" in value.lower().replace(" ", ""):
            return True
    return False


def safe_inline_svg(svg: str) -> str:
    """``svg`` from its ``<svg`` element on (no XML prolog or doctype), or ``DiagramError``
    when it holds anything but a drawing."""
    try:
        root = ElementTree.fromstring(svg)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise DiagramError("diagram.error.unsafe_svg", detail=str(exc)) from None
    if _local(root.tag) != "svg" or any(_is_active(e) for e in root.iter()):
        raise DiagramError("diagram.error.unsafe_svg", detail="active content")
    return svg[svg.index("<svg") :]


def inline_svg(engagement: Engagement, lang: str = "ja") -> str:
    """The engagement's diagram, ready to be placed inline in an HTML page."""
    return safe_inline_svg(render_svg(engagement, lang))
