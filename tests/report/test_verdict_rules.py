"""One rule per verdict: the report's own findings judge as the rooms that own the verdict.

A firmware verdict the knowledge base could not give is the same finding whether the
firmware check or the report's gap filler states it, so it has the same severity.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from report_fixtures import demo_report_input

from kenshin.domain import DeviceRole, Engagement, FirmwareStatus, Severity, VersionSource
from kenshin.firmware import check_device
from kenshin.report import FirmwareRow
from kenshin.report.gaps import firmware_gap_findings
from kenshin.vulndb import KnowledgeBase


@pytest.mark.parametrize(
    ("role", "severity"), [(DeviceRole.ROUTER, Severity.LOW), (DeviceRole.OTHER, Severity.INFO)]
)
def test_a_version_gap_has_the_firmware_checks_severity(
    demo_engagement: Engagement, role: DeviceRole, severity: Severity
) -> None:
    device = replace(
        next(d for d in demo_engagement.devices if d.key == "DEV-03"),
        role=role,
        firmware_version="",
        version_source=VersionSource.NOT_OBTAINED,
        version_unavailable_reason="保守契約上、ベンダのみが確認できる",
    )
    engagement = replace(
        demo_engagement,
        devices=tuple(device if d.key == device.key else d for d in demo_engagement.devices),
    )
    row = FirmwareRow(device, FirmwareStatus.VERSION_UNKNOWN, advice_ja="確認", advice_en="Ask")
    report = replace(demo_report_input(engagement), findings=(), firmware=(row,))
    (gap,) = firmware_gap_findings(report)
    assert gap.severity is severity
    stated = check_device(device, KnowledgeBase(None))
    assert [f.severity for f in stated] == [severity]  # what the firmware check says
