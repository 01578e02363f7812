"""Pieces of the report view: SVG charts, grouping of repeated issues, large-report limits."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from report_fixtures import demo_report_input

from kenshin.domain import Engagement, Finding, FindingCategory, FindingSubject, Severity
from kenshin.report import build_view, render_html
from kenshin.report.charts import bar_chart
from kenshin.report.sections.items import MAX_CARDS, MAX_TARGETS, FindingItem, group_items
from kenshin.report.sections.points import clean_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_bar_chart_is_valid_svg_with_proportional_bars() -> None:
    svg = bar_chart([("緊急", 4, "#b3122e"), ("高", 2, "#e0561b"), ("<低>", 0, "#3b7dd8")],
                    title="優先度別", empty="なし")  # fmt: skip
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "優先度別" in texts
    assert "<低>" in texts  # escaped in the source, intact when parsed
    bars = [
        float(r.get("width", "0"))
        for r in root.iter(f"{SVG}rect")
        if r.get("fill") not in ("#eef1f6",)
    ]
    assert len(bars) == 2  # a zero count draws no bar
    assert abs(bars[0] / bars[1] - 2.0) < 0.01
    assert "なし" not in texts


def test_empty_chart_says_so() -> None:
    root = ET.fromstring(bar_chart([("緊急", 0, "#b3122e")], title="t", empty="指摘なし"))
    assert "指摘なし" in [t.text for t in root.iter(f"{SVG}text")]


def _item(n: int, title: str, target: str, priority: str = "high") -> FindingItem:
    return FindingItem(
        id=f"F-{n:03d}", priority=priority, priority_label=priority, score=7.0, reasons=(),
        area="remote", area_label="remote", target=target, title=title, description="",
        remediation="fix", cves=(), kev=False, ransomware=False, cvss=None, confidence="high",
        status="open", status_label="open", status_reason="", owner="hospital",
        owner_kind="hospital", plain_evidence=(), raw_evidence=(), device_key=None,
        device_label="", point_label="", due=None, upgrades=(), upgrade=None, fix_version="",
        merged=1, detailed=False, open=True,
    )  # fmt: skip


def test_group_items_joins_only_the_same_issue() -> None:
    items = [
        _item(1, "Telnet公開", "198.51.100.1:23/tcp"),
        _item(2, "Telnet公開", "198.51.100.2:23/tcp"),
        _item(3, "RDP公開", "198.51.100.1:3389/tcp"),
        _item(4, "Telnet公開", "198.51.100.3:23/tcp", priority="urgent"),
    ]
    groups = group_items(items)
    assert [g.count for g in groups] == [2, 1, 1]
    assert groups[0].ids == ("F-001", "F-002")
    assert groups[0].targets == ("198.51.100.1:23/tcp", "198.51.100.2:23/tcp")


def test_group_names_a_bounded_number_of_targets() -> None:
    items = [_item(n, "同じ問題", f"198.51.100.{n}:23/tcp") for n in range(1, 61)]
    (group,) = group_items(items)
    assert len(group.targets) == MAX_TARGETS
    assert group.more_targets == 60 - MAX_TARGETS


def test_cards_are_capped_and_the_rest_still_listed(demo_engagement: Engagement) -> None:
    base = demo_report_input(demo_engagement)
    many = tuple(
        Finding(
            f"exposure.port{n}", FindingCategory.EXPOSURE, Severity.HIGH,
            f"ポート{n}が公開", f"port {n} open",
            FindingSubject(address="198.18.10.10", port=10000 + n, protocol="tcp"),
        )
        for n in range(MAX_CARDS + 20)
    )  # fmt: skip
    view = build_view(replace(base, findings=base.findings + many), "ja")
    detailed = [item for item in view.items if item.detailed]
    assert len(detailed) == MAX_CARDS
    html = render_html(view)
    assert html.count('class="finding"') == MAX_CARDS
    for n in range(MAX_CARDS + 20):
        assert f"ポート{n}が公開" in html


def test_diagram_svg_is_made_inline_and_offline() -> None:
    raw = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<!-- Generated -->\n'
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
        '<a href="https://example.com/x"><text>CP-01</text></a></svg>'
    )
    cleaned = clean_svg(raw)
    assert cleaned is not None
    assert cleaned.startswith("<svg")
    assert "<script" not in cleaned
    assert "example.com" not in cleaned
    assert "CP-01" in cleaned
    plain = '<svg xmlns="http://www.w3.org/2000/svg"><text>ok</text></svg>'
    assert clean_svg(plain) == plain
    assert clean_svg(None) is None
    assert clean_svg("") is None
