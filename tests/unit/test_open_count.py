"""One rule for "open findings": the dashboard, ``engagement list --json``, the JSON API and
the report count the same statuses (open and accepted; not fixed, not false positive)."""

from __future__ import annotations

from pathlib import Path

from kenshin.domain import (
    Engagement,
    Finding,
    FindingCategory,
    FindingStatus,
    FindingSubject,
    Severity,
)
from kenshin.report.build import build_report_input
from kenshin.report.view import view_context
from kenshin.store import EngagementRepository, FindingRepository, finding_fingerprint, open_store
from kenshin.store.reading import sqlite_fetch, summaries


def _finding(port: int) -> Finding:
    return Finding(
        f"exposure.test{port}",
        FindingCategory.EXPOSURE,
        Severity.MEDIUM,
        f"ポート {port} 公開",
        f"Port {port} exposed",
        FindingSubject(address="198.18.10.10", port=port, protocol="tcp"),
    )


def test_accepted_counts_as_open_on_the_dashboard_as_in_the_report(
    tmp_path: Path, demo_engagement: Engagement
) -> None:
    """Old code: the dashboard counted only "open", the report "open" and "accepted"."""
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    store = open_store(url)
    statuses = list(FindingStatus)
    findings = [_finding(8000 + n) for n in range(len(statuses))]
    with store.session() as session:
        EngagementRepository(session).save(demo_engagement)
        FindingRepository(session).record(demo_engagement.code, findings)
    with store.session() as session:
        for finding, status in zip(findings, statuses, strict=True):
            reason = "テスト" if status is FindingStatus.FALSE_POSITIVE else ""
            FindingRepository(session).set_status(
                demo_engagement.code, finding_fingerprint(finding), status, reason
            )
    with store.session() as session:
        (listed,) = EngagementRepository(session).list()
        report = build_report_input(session, demo_engagement.code, diagram_svg="")
    store.dispose()
    in_report = len(view_context(report, "ja").open_findings)
    assert in_report == sum(1 for s in statuses if s.is_open) == 2
    assert listed.open_findings == in_report
    with sqlite_fetch(url) as fetch:
        assert fetch is not None
        assert [s.open_findings for s in summaries(fetch)] == [in_report]
