"""Building the report input from the store, and the `kenshin report` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_fixtures import DIAGRAM_SVG, scan_report, store_findings
from report_render import assert_offline
from typer.testing import CliRunner

from kenshin.cli import app
from kenshin.cli.demo import demo_file
from kenshin.domain import Engagement
from kenshin.report import build_report_input, build_view, render_html
from kenshin.store import EngagementRepository, FindingRepository, open_store


def test_build_reads_the_store_and_adds_scan_findings(
    demo_engagement: Engagement, store_url: str
) -> None:
    store = open_store(store_url)
    try:
        with store.session() as session:
            EngagementRepository(session).save(demo_engagement)
            FindingRepository(session).record("demo-2026", store_findings())
        scan = scan_report()
        with store.session() as session:
            report = build_report_input(session, "demo-2026", scan=scan, diagram_svg=DIAGRAM_SVG)
    finally:
        store.dispose()
    assert report.engagement.code == "demo-2026"
    host_findings = sum(len(h.findings) for h in scan.hosts)
    assert len(report.findings) == len(store_findings()) + host_findings
    assert report.diagram("en") == DIAGRAM_SVG
    assert report.firmware is None
    assert report.terminals is None
    view = build_view(report, "ja")
    # the firmware check's CVE-2023-27997 and the remote diagnosis's are one issue
    forti = [f for f in view.findings if "CVE-2023-27997" in f.cves]
    assert len(forti) == 1
    assert len(forti[0].merged) == 2


def test_build_without_anything_but_the_engagement(
    demo_engagement: Engagement, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    try:
        with store.session() as session:
            EngagementRepository(session).save(demo_engagement)
        with store.session() as session:
            report = build_report_input(session, "demo-2026")
    finally:
        store.dispose()
    assert report.findings == ()
    assert report.scan is None


def test_build_draws_the_diagram_when_the_diagram_room_is_there(
    demo_engagement: Engagement, tmp_path: Path
) -> None:
    diagram = pytest.importorskip("kenshin.diagram")
    store = open_store(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    try:
        with store.session() as session:
            EngagementRepository(session).save(demo_engagement)
        with store.session() as session:
            report = build_report_input(session, "demo-2026")
    finally:
        store.dispose()
    svg = report.diagram("ja")
    assert svg is not None
    assert svg == diagram.render_svg(report.engagement, "ja")
    html = render_html(build_view(report, "ja"))
    assert '<div class="diagram"><svg' in html.replace("\n", "")
    assert_offline(html)


@pytest.mark.slow
def test_report_command_writes_every_file(isolated_env: Path) -> None:
    runner = CliRunner()
    imported = runner.invoke(app, ["engagement", "import", str(demo_file())])
    assert imported.exit_code == 0, imported.output
    out = isolated_env / "out"
    result = runner.invoke(app, ["report", "demo-2026", "-o", str(out), "--lang", "en", "--json"])
    assert result.exit_code == 0, result.output
    written = json.loads(result.output)
    assert written["lang"] == "en"
    assert sorted(written["files"]) == sorted(
        ["report.pdf", "report.html", "findings.xlsx", "findings.json", "defectdojo.json"]
    )
    for path in written["files"].values():
        assert Path(path).stat().st_size > 0
    assert "Executive summary" in (out / "report.html").read_text(encoding="utf-8")


def test_report_command_names_an_unknown_engagement(isolated_env: Path) -> None:
    result = CliRunner().invoke(app, ["report", "no-such", "-o", str(isolated_env / "o")])
    assert result.exit_code != 0
    assert not (isolated_env / "o" / "report.pdf").exists()


def test_gather_before_any_scan_states_the_firmware_verdicts_as_findings(
    demo_engagement: Engagement, tmp_path: Path
) -> None:
    """Only the engagement is stored: the report still names the UTM's known CVEs."""
    from kenshin.report.sources import gather_report_input

    store = open_store(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    try:
        with store.session() as session:
            EngagementRepository(session).save(demo_engagement)
        report = gather_report_input(store, "demo-2026")
    finally:
        store.dispose()
    assert report.scan is None
    assert report.terminals is None  # not "0 terminals surveyed"
    assert report.firmware is not None
    dev01 = next(r for r in report.firmware if r.device.key == "DEV-01")
    assert dev01.cves
    # the one fix that closes every affecting CVE: no other fix in the row is higher
    from kenshin.vulndb.versions import scheme

    fixes = [v.strip() for v in dev01.fixed_version.split(",")]
    assert len(fixes) == 1
    view = build_view(report, "ja")
    device_findings = [f for f in view.findings if f.device_key == "DEV-01"]
    assert {c for f in device_findings for c in f.cves} >= set(dev01.cves)
    upgrades = [u.fixed_version for f in device_findings for m in f.merged if (u := m.upgrade)]
    assert upgrades
    assert all(scheme(dev01.scheme).compare(fixes[0], u) >= 0 for u in upgrades)
    table = next(r for r in view.firmware.rows or () if r.key == "DEV-01")
    assert table.fixed == fixes[0]
    assert view.summary.judgement_level in ("urgent", "high")
