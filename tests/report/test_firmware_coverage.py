"""The report's firmware table for a product the knowledge base does not cover, and the
knowledge sources it names (only those loaded, with their dates)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from report_fixtures import demo_report_input

from kenshin.domain import Device, DeviceRole, Engagement, VersionSource
from kenshin.report import build_view, render_html
from kenshin.report.model import Versions
from kenshin.report.sources import firmware_rows, knowledge_versions
from kenshin.vulndb import open_knowledge_base


def test_uncovered_product_in_the_report(demo_engagement: Engagement, tmp_path: Path) -> None:
    device = Device(
        key="DEV-04",
        name="分院ルータ",
        role=DeviceRole.ROUTER,
        vendor="NEC",
        model="UNIVERGE IX2215",
        firmware_version="10.2.16",
        version_source=VersionSource.HOSPITAL,
    )
    kb = open_knowledge_base(tmp_path / "absent.sqlite3")
    rows = tuple(firmware_rows(replace(demo_engagement, devices=(device,)), kb))
    report = replace(
        demo_report_input(demo_engagement),
        firmware=rows,
        versions=Versions(kenshin="test", knowledge=tuple(knowledge_versions(kb))),
    )
    html = render_html(build_view(report, "ja"))
    assert "知識ベースの対象外（ベンダにアドバイザリを確認）" in html
    assert "既知の脆弱性なし" not in html
    assert "NVD・JVN・KEV" not in html
    assert "kenshin snapshot 2026-11-26" in html
    english = render_html(build_view(report, "en"))
    assert "not covered by the knowledge base (ask the vendor for its advisories)" in english
    assert "(NVD, JVN, KEV)" not in english
