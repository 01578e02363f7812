"""The connection-point diagram: Graphviz draws the demo hospital with Japanese text."""

from __future__ import annotations

import dataclasses
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kenshin import diagram
from kenshin.diagram import _render
from kenshin.diagram._graph import DIAGNOSIS_COLOUR, VENDOR_FILL
from kenshin.domain import Engagement

SVG = "{http://www.w3.org/2000/svg}"


def _need_graphviz() -> None:
    if shutil.which("dot") is None or shutil.which("fc-list") is None:
        reason = "Graphviz (dot) and fontconfig (fc-list) are needed: apt-get install graphviz"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


pytestmark = pytest.mark.usefixtures("graphviz")


@pytest.fixture
def graphviz() -> None:
    _need_graphviz()


def _nodes(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    nodes = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "node":
            title = group.find(f"{SVG}title")
            assert title is not None
            assert title.text
            nodes[title.text] = group
    return nodes


def _texts(group: ET.Element) -> str:
    return "\n".join(t.text or "" for t in group.iter(f"{SVG}text"))


def _strokes(group: ET.Element) -> set[str]:
    return {
        (shape.get("stroke") or "").lower()
        for shape in group
        if shape.tag in (f"{SVG}polygon", f"{SVG}path", f"{SVG}ellipse")
    }


def test_demo_png_is_drawn_without_missing_glyphs(
    demo_engagement: Engagement, tmp_path: Path
) -> None:
    from PIL import Image

    target = diagram.render_png(demo_engagement, tmp_path / "diagram.png")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(target) as image:
        width, height = image.size
        assert width > 800
        assert height > 400
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1_000_000)
        assert colours is not None
        assert len(colours) > 50
        red = tuple(int(DIAGNOSIS_COLOUR[i : i + 2], 16) for i in (1, 3, 5))
        assert any(colour == red for _, colour in colours), "the diagnosis-point frame is red"
    # dot said nothing (no font or layout warnings) and the font has every character.
    assert diagram.dot_warnings(demo_engagement) == ""
    _, texts = diagram.to_dot(demo_engagement)
    assert diagram.missing_glyphs(texts.characters()) == []


def test_svg_shows_every_connection_point_device_and_the_legend(
    demo_engagement: Engagement,
) -> None:
    svg = diagram.render_svg(demo_engagement)
    nodes = _nodes(svg)
    for point in demo_engagement.connection_points:
        text = _texts(nodes[f"line:{point.key}"])
        assert f"{point.key} {point.name}" in text
        for address in point.addresses:
            assert str(address.address) in text
    for device in demo_engagement.devices:
        assert f"{device.key} {device.name}" in _texts(nodes[f"dev:{device.key}"])
    legend = _texts(nodes["legend"])
    for expected in ("凡例", "脆弱性診断箇所", "調査範囲", "ベンダ名義の回線", "調査対象外"):
        assert expected in legend
    assert "電子カルテ系ネットワーク" in svg
    assert "デモ総合病院 外部接続点 構成図" in svg
    # The out-of-scope Wi-Fi says why, in its own frame.
    assert "対象外の理由" in _texts(nodes["line:CP-04"])
    root = ET.fromstring(svg)
    clusters = [_texts(g) for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert any("調査範囲" in c for c in clusters)
    assert any("調査対象外" in c for c in clusters)


def test_diagnosis_points_and_vendor_lines_are_marked_only_where_they_apply(
    demo_engagement: Engagement,
) -> None:
    nodes = _nodes(diagram.render_svg(demo_engagement))
    red = DIAGNOSIS_COLOUR.lower()
    # CP-01 (fixed) and CP-02 (dynamic) reach the internet with a global IP.
    assert red in _strokes(nodes["line:CP-01"])
    assert red in _strokes(nodes["line:CP-02"])
    # The closed network and the out-of-scope Wi-Fi are not diagnosis points.
    assert red not in _strokes(nodes["line:CP-03"])
    assert red not in _strokes(nodes["line:CP-04"])

    def fills(key: str) -> set[str]:
        return {(s.get("fill") or "").lower() for s in nodes[key]}

    assert VENDOR_FILL.lower() in fills("line:CP-02")  # contracted by V-EHR
    assert VENDOR_FILL.lower() not in fills("line:CP-01")  # the hospital's own line


def test_a_line_without_an_address_is_not_a_diagnosis_point(
    demo_engagement: Engagement,
) -> None:
    points = tuple(
        dataclasses.replace(p, addresses=()) if p.key == "CP-01" else p
        for p in demo_engagement.connection_points
    )
    engagement = dataclasses.replace(demo_engagement, connection_points=points)
    nodes = _nodes(diagram.render_svg(engagement))
    assert DIAGNOSIS_COLOUR.lower() not in _strokes(nodes["line:CP-01"])
    assert "グローバルIP: 未確認" in _texts(nodes["line:CP-01"])


def test_english_labels(demo_engagement: Engagement) -> None:
    svg = diagram.render_svg(demo_engagement, lang="en")
    for expected in ("Legend", "Diagnosis point", "Survey range", "Line held by a vendor"):
        assert expected in svg
    assert "Demo General Hospital" in svg


def test_missing_glyphs_fires_for_characters_the_font_lacks(
    demo_engagement: Engagement,
) -> None:
    hieroglyph = "\U00013000"  # Egyptian hieroglyphs are not in Noto Sans CJK JP
    assert diagram.missing_glyphs({"電", "子", "A"}) == []
    assert diagram.missing_glyphs({"電", hieroglyph}) == [hieroglyph]
    points = tuple(
        dataclasses.replace(p, name=p.name + hieroglyph) if p.key == "CP-01" else p
        for p in demo_engagement.connection_points
    )
    broken = dataclasses.replace(demo_engagement, connection_points=points)
    with pytest.raises(diagram.DiagramError) as caught:
        diagram.render_svg(broken)
    assert hieroglyph in caught.value.message("ja")
    assert "Noto Sans CJK JP" in caught.value.message("ja")


def test_quotes_and_backslashes_in_names_do_not_break_the_graph(
    demo_engagement: Engagement,
) -> None:
    points = tuple(
        dataclasses.replace(p, name='回線 "A" \\ 本館') if p.key == "CP-01" else p
        for p in demo_engagement.connection_points
    )
    svg = diagram.render_svg(dataclasses.replace(demo_engagement, connection_points=points))
    assert '回線 "A" \\ 本館' in _texts(_nodes(svg)["line:CP-01"])


def test_graphviz_missing_is_one_clear_sentence(
    demo_engagement: Engagement, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_render.shutil, "which", lambda _name: None)
    _render._dot_command.cache_clear()
    try:
        with pytest.raises(diagram.DiagramError) as caught:
            diagram.render_svg(demo_engagement)
    finally:
        _render._dot_command.cache_clear()
    assert "apt-get install graphviz" in caught.value.message("ja")


def test_a_device_on_two_lines_is_drawn_once_with_one_link_inwards(
    demo_engagement: Engagement,
) -> None:
    devices = tuple(
        dataclasses.replace(d, connection_points=("CP-01", "CP-02")) if d.key == "DEV-01" else d
        for d in demo_engagement.devices
    )
    engagement = dataclasses.replace(demo_engagement, devices=devices)
    dot, _ = diagram.to_dot(engagement)
    assert dot.count('"dev:DEV-01" [label=') == 1
    assert dot.count('"dev:DEV-01" -> "ehr"') == 1
    assert '"line:CP-01" -> "dev:DEV-01"' in dot
    assert '"dev:DEV-03" -> "dev:DEV-01"' in dot  # inwards from CP-02's VPN appliance


def test_an_engagement_without_connection_points_still_has_a_legend(
    demo_engagement: Engagement,
) -> None:
    empty = dataclasses.replace(demo_engagement, connection_points=(), devices=())
    svg = diagram.render_svg(empty)
    assert "凡例" in svg
    assert "電子カルテ系ネットワーク" in svg
