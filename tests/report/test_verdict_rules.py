"""One rule per verdict: the report's own findings judge as the rooms that own the verdict.

A firmware verdict the knowledge base could not give is the same finding whether the
firmware check or the report's gap filler states it, so it has the same severity.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from report_fixtures import demo_report_input

from kenshin.assess import ChecklistStatus, SurveyEvidence, evaluate_checklist
from kenshin.domain import (
    DeviceRole,
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    FirmwareStatus,
    HostResult,
    PortResult,
    PortState,
    Protocol,
    ServiceIdentity,
    Severity,
    VersionSource,
)
from kenshin.firmware import check_device, missing_answer_severity
from kenshin.identify.fusion import fuse_host
from kenshin.report import FirmwareRow, build_view
from kenshin.report.gaps import firmware_gap_findings
from kenshin.report.sources import firmware_rows
from kenshin.vulndb import KnowledgeBase


@pytest.mark.parametrize(
    ("role", "severity"),
    # the Ivanti appliance: KEV-listed CVEs are at stake, which weighs on an edge device
    [(DeviceRole.ROUTER, Severity.MEDIUM), (DeviceRole.OTHER, Severity.INFO)],
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
    kb = KnowledgeBase(None)
    (row,) = firmware_rows(replace(engagement, devices=(device,)), kb)
    assert row.status is FirmwareStatus.VERSION_UNKNOWN
    report = replace(demo_report_input(engagement), findings=(), firmware=(row,))
    (gap,) = firmware_gap_findings(report)
    assert gap.severity is severity
    stated = check_device(device, kb)
    assert [f.severity for f in stated] == [severity]  # what the firmware check says


def _fortigate_host(*findings: Finding) -> HostResult:
    """SSL-VPN on 443 shows no version; SNMP on 161 gives FortiOS 7.0.11 (one device)."""
    web = PortResult(
        Protocol.TCP,
        443,
        PortState.OPEN,
        identity=ServiceIdentity(
            "https",
            "Fortinet FortiGate SSL VPN",
            cpe=("cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",),
        ),
    )
    snmp = PortResult(
        Protocol.UDP,
        161,
        PortState.OPEN,
        identity=ServiceIdentity(
            "snmp",
            "Fortinet FortiGate-60F",
            "v7.0.11,build0489,230321 (GA)",
            ("cpe:2.3:o:fortinet:fortios:7.0.11:*:*:*:*:*:*:*",),
        ),
    )
    host = HostResult("198.18.10.10", (web, snmp), findings=tuple(findings))
    return replace(host, devices=fuse_host(host))


def _port_checks(engagement: Engagement, host: HostResult) -> dict[int, str]:
    base = demo_report_input(engagement, with_scan_findings=False)
    assert base.scan is not None
    scan = replace(base.scan, hosts=(host,))
    report = replace(base, scan=scan, findings=host.findings)
    view = build_view(report, "en")
    (section,) = (h for h in view.remote.hosts if h.address == host.address)
    return {p.port: p.checks for p in section.open_ports}


def test_a_port_without_a_version_reads_the_devices_verdict(demo_engagement: Engagement) -> None:
    """The check judged FortiOS at 7.0.11 (SNMP): 443 was not "cannot tell"."""
    checks = _port_checks(demo_engagement, _fortigate_host())
    assert "Known vulnerabilities and versions: nothing found" in checks[443]


def test_a_cve_stated_on_one_port_of_a_device_is_found_on_its_other_ports(
    demo_engagement: Engagement,
) -> None:
    cve = Finding(
        check_id="vulnerability.cve",
        category=FindingCategory.VULNERABILITY,
        severity=Severity.CRITICAL,
        title_ja="CVE-2023-27997",
        title_en="CVE-2023-27997",
        subject=FindingSubject(address="198.18.10.10", port=161, protocol="udp"),
        cves=("CVE-2023-27997",),
    )
    checks = _port_checks(demo_engagement, _fortigate_host(cve))
    assert "Known vulnerabilities and versions: found" in checks[443]


def test_a_not_covered_row_is_a_finding_as_the_firmware_check_states_it(
    demo_engagement: Engagement,
) -> None:
    """ "Not covered" reaches findings.xlsx and the summary like "version unknown" does."""
    device = next(d for d in demo_engagement.devices if d.key == "DEV-02")
    row = FirmwareRow(
        device, FirmwareStatus.NOT_COVERED, advice_ja="対象外", advice_en="Not covered"
    )
    report = replace(demo_report_input(demo_engagement), findings=(), firmware=(row,))
    (gap,) = firmware_gap_findings(report)
    assert gap.check_id == "firmware.not_covered"
    assert "not covered" in gap.title_en
    assert gap.severity is missing_answer_severity(device)
    # once the firmware check has stated it, nothing is added
    stated = replace(report, findings=(replace(gap, title_en="stated by the firmware check"),))
    assert firmware_gap_findings(stated) == []


def test_the_checklist_and_the_report_count_the_same_devices_in_scope(
    demo_engagement: Engagement,
) -> None:
    """A device on a line not on record is not shown to be outside the EHR scope: the
    report lists its missing version, and the ledger item counts it missing too."""
    devices = tuple(
        replace(d, connection_points=("CP-99",), version_unavailable_reason="")
        if d.key == "DEV-03"
        else d
        for d in demo_engagement.devices
    )
    engagement = replace(demo_engagement, devices=devices)
    view = build_view(replace(demo_report_input(demo_engagement), engagement=engagement), "en")
    assert "DEV-03" in [m.key for m in view.scope.version_missing]
    results = evaluate_checklist(engagement, (), SurveyEvidence())
    ledger = next(r for r in results if r.item.id == "2-1")
    assert ledger.status is ChecklistStatus.NOT_MET
    assert "DEV-03" in ledger.params["devices"]
