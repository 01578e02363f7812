"""One device, one verdict (issue 15): ports fused into devices, vulnerabilities matched
once per device at the best version evidence, "cannot tell" said once.

The port identities imitate what kenshin's own rules produce for the appliances of the
issue (SNMP sysDescr "FortiGate-60F v7.0.11,build0489,230321 (GA)", a YAMAHA telnet
banner "RTX1210 Rev.14.01.38 (...)", web consoles that show no version). The knowledge
base is the shipped snapshot alone.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kenshin.checks import diagnose
from kenshin.checks.known_vulns import (
    CANNOT_TELL,
    NOT_COVERED,
    VERSION_UNKNOWN,
    KnownVulnerabilities,
)
from kenshin.domain import (
    Confidence,
    Engagement,
    EvidenceSource,
    Finding,
    FindingCategory,
    HostResult,
    PortResult,
    PortState,
    Protocol,
    ServiceIdentity,
    VersionSource,
)
from kenshin.identify import compare_reported_versions
from kenshin.identify.fusion import fuse_host
from kenshin.requests import RequestRepository, Want, plan_requests
from kenshin.scope import Gate, LabPermission
from kenshin.store import EngagementRepository, FindingRepository, open_store
from kenshin.vulndb import KnowledgeBase

FORTIOS_ANY = "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*"
RTX_ANY = "cpe:2.3:o:yamaha:rtx1210_firmware:*:*:*:*:*:*:*:*"
# FortiOS 7.0.11 in the snapshot: these and only these (2018-13379, 2019-5591,
# 2020-12812, 2022-40684, 2022-42475 were fixed long before 7.0.11)
FORTIOS_7011 = {
    "CVE-2023-27997",
    "CVE-2024-21762",
    "CVE-2024-23113",
    "CVE-2024-55591",
    "CVE-2025-24472",
}


def _port(
    protocol: Protocol,
    number: int,
    service: str,
    product: str,
    version: str = "",
    cpe: str = "",
    confidence: Confidence = Confidence.HIGH,
    device: str = "",
) -> PortResult:
    identity = ServiceIdentity(
        service=service,
        product=product,
        version=version,
        cpe=(cpe,) if cpe else (),
        confidence=confidence,
        extra=(("device", device),) if device else (),
    )
    return PortResult(protocol, number, PortState.OPEN, identity=identity)


def _fortigate_web(address: str = "198.18.10.10") -> tuple[PortResult, ...]:
    return (
        _port(Protocol.TCP, 443, "https", "Fortinet FortiGate SSL VPN", cpe=FORTIOS_ANY),
        _port(Protocol.TCP, 10443, "https", "Fortinet FortiGate SSL VPN", cpe=FORTIOS_ANY),
    )


def _fortigate_snmp(version: str = "v7.0.11,build0489,230321 (GA)") -> PortResult:
    number = version.split(",")[0].lstrip("v")
    return _port(
        Protocol.UDP,
        161,
        "snmp",
        "Fortinet FortiGate-60F",
        version,
        f"cpe:2.3:o:fortinet:fortios:{number}:*:*:*:*:*:*:*",
        device="Fortinet FortiGate-60F",
    )


def _yamaha(banner_version: str = "Rev.14.01.38") -> tuple[PortResult, ...]:
    number = banner_version.removeprefix("Rev.")
    return (
        _port(
            Protocol.TCP,
            23,
            "telnet",
            "YAMAHA RTX1210 telnetd",
            banner_version,
            f"cpe:2.3:o:yamaha:rtx1210_firmware:{number}:*:*:*:*:*:*:*",
            device="YAMAHA RTX1210",
        ),
        _port(
            Protocol.TCP,
            80,
            "http",
            "YAMAHA RTX1210 web console",
            cpe=RTX_ANY,
            confidence=Confidence.MEDIUM,
            device="YAMAHA RTX1210",
        ),
    )


def _diagnose(host: HostResult, engagement: Engagement | None = None) -> list[Finding]:
    check = KnownVulnerabilities(KnowledgeBase(None))
    gate = Gate.adhoc(lab=LabPermission())  # the knowledge-base check reads, never sends
    result = asyncio.run(diagnose([host], [check], gate=gate, engagement=engagement))
    assert not result.errors
    return list(result.findings)


def _cves(findings: list[Finding]) -> list[str]:
    return sorted(c for f in findings for c in f.cves)


def test_version_only_in_snmp_is_the_version_of_every_port() -> None:
    host = HostResult("198.18.10.10", (*_fortigate_web(), _fortigate_snmp()))
    (device,) = fuse_host(host)
    firmware = device.firmware
    assert firmware is not None
    assert firmware.version is not None
    assert firmware.version.source is EvidenceSource.SNMP
    assert firmware.version.value.startswith("v7.0.11")
    assert [p.port for p in firmware.ports] == [443, 10443, 161]
    assert device.label == "Fortinet FortiGate-60F (v7.0.11,build0489,230321 (GA))"

    findings = _diagnose(host)
    assert set(_cves(findings)) == FORTIOS_7011
    assert len(_cves(findings)) == len(FORTIOS_7011)  # once per device, not per port
    for finding in findings:
        assert "161/udp (snmp)" in finding.evidence
        assert "10443/tcp (https)" in finding.evidence
        assert finding.device.startswith("Fortinet FortiGate-60F")


def test_version_only_in_a_banner_on_another_port() -> None:
    host = HostResult("198.18.20.21", _yamaha())
    findings = _diagnose(host)
    # CVE-2020-5548 is fixed after Rev.14.01.33: the silent web port must not bring it
    assert _cves(findings) == ["CVE-2021-20843", "CVE-2021-20844"]
    assert "80/tcp (http)" in findings[0].evidence


def test_an_older_banner_version_gives_the_older_cves() -> None:
    findings = _diagnose(HostResult("198.18.20.21", _yamaha("Rev.14.01.33")))
    assert _cves(findings) == ["CVE-2020-5548", "CVE-2021-20843", "CVE-2021-20844"]


def test_version_nowhere_is_one_finding_and_no_cve() -> None:
    findings = _diagnose(HostResult("198.18.10.10", _fortigate_web()))
    assert len(findings) == 1
    finding = findings[0]
    assert finding.check_id == VERSION_UNKNOWN
    assert finding.cves == ()  # not counted as the CVEs at stake
    assert "CVE-2018-13379" in finding.description_ja
    assert "CVE-2024-21762" in finding.description_en
    assert "443/tcp" in finding.description_en
    assert "10443/tcp" in finding.description_en


def test_a_patched_version_gives_no_cve() -> None:
    host = HostResult("198.18.10.10", (*_fortigate_web(), _fortigate_snmp("v7.0.17,build0601")))
    assert _diagnose(host) == []


def test_a_firmware_the_knowledge_base_does_not_hold_is_not_covered() -> None:
    host = HostResult(
        "198.18.30.30",
        (
            _port(
                Protocol.TCP,
                80,
                "http",
                "Buffalo AirStation web console",
                "1.0",
                "cpe:2.3:o:buffalo:airstation_firmware:1.0:*:*:*:*:*:*:*",
            ),
        ),
    )
    findings = _diagnose(host)
    assert [f.check_id for f in findings] == [NOT_COVERED]
    assert "no known" not in findings[0].description_en.lower().replace("'no known", "")


def test_two_firmwares_on_one_address_are_two_devices() -> None:
    host = HostResult("198.18.10.10", (*_fortigate_web(), _fortigate_snmp(), *_yamaha()))
    devices = fuse_host(host)
    assert len(devices) == 2
    assert {d.firmware.key for d in devices if d.firmware} == {
        "fortinet:fortios",
        "yamaha:rtx1210_firmware",
    }


def test_one_firmware_with_a_server_program_is_one_device() -> None:
    ssh = _port(
        Protocol.TCP, 22, "ssh", "FortiGate sshd", cpe=FORTIOS_ANY, confidence=Confidence.MEDIUM
    )
    host = HostResult("198.18.10.10", (*_fortigate_web(), ssh))
    assert len(fuse_host(host)) == 1


def test_the_reported_version_ranks_first_and_a_disagreement_is_a_finding(
    demo_engagement: Engagement,
) -> None:
    # DEV-01 (FortiGate on 198.18.10.10) reported "v7.0.11,build0489 (GA)" by the vendor;
    # the device's SNMP says 7.0.10
    host = HostResult(
        "198.18.10.10", (*_fortigate_web(), _fortigate_snmp("v7.0.10,build0450,221005 (GA)"))
    )
    (device,) = fuse_host(host, demo_engagement)
    firmware = device.firmware
    assert firmware is not None
    assert firmware.version is not None
    assert firmware.version.source is EvidenceSource.REPORTED
    assert firmware.conflict is not None
    assert firmware.conflict.value.startswith("v7.0.10")
    assert device.record_key == "DEV-01"
    mismatch = compare_reported_versions(demo_engagement, [host])
    assert len(mismatch) == 1
    assert "v7.0.11" in mismatch[0].evidence
    assert "v7.0.10" in mismatch[0].evidence
    assert mismatch[0].device.startswith("DEV-01")


def test_agreeing_sources_are_not_a_conflict(demo_engagement: Engagement) -> None:
    host = HostResult("198.18.10.10", (*_fortigate_web(), _fortigate_snmp()))
    (device,) = fuse_host(host, demo_engagement)
    assert device.firmware is not None
    assert device.firmware.conflict is None
    assert compare_reported_versions(demo_engagement, [host]) == []


def test_a_reported_version_settles_a_silent_device(demo_engagement: Engagement) -> None:
    findings = _diagnose(HostResult("198.18.10.10", _fortigate_web()), demo_engagement)
    assert set(_cves(findings)) == FORTIOS_7011
    assert all("reported" in f.evidence for f in findings)


def test_demo_ivanti_without_reported_version_is_judged_at_what_it_shows(
    demo_engagement: Engagement,
) -> None:
    dev03 = next(d for d in demo_engagement.devices if d.key == "DEV-03")
    assert not dev03.version_known or dev03.version_source is VersionSource.NOT_OBTAINED
    ivanti = _port(
        Protocol.TCP,
        443,
        "https",
        "Ivanti Connect Secure",
        "22.7R2.3",
        "cpe:2.3:a:ivanti:connect_secure:22.7r2.3:*:*:*:*:*:*:*",
        confidence=Confidence.INFERRED,
    )
    findings = _diagnose(HostResult("198.18.20.20", (ivanti,)), demo_engagement)
    # 22.7R2.3 is below both fixes (22.7R2.5 for CVE-2025-0282, 22.7R2.6 for CVE-2025-22457)
    assert _cves(findings) == ["CVE-2025-0282", "CVE-2025-22457"]
    assert all(f.confidence is Confidence.INFERRED for f in findings)


@pytest.mark.parametrize("version", ["", "22.7R2.3"])
def test_ivanti_unknown_version_never_lists_cves(version: str) -> None:
    ivanti = _port(
        Protocol.TCP,
        443,
        "https",
        "Ivanti Connect Secure",
        version,
        "cpe:2.3:a:ivanti:connect_secure:*:*:*:*:*:*:*:*",
    )
    findings = _diagnose(HostResult("198.18.20.20", (ivanti,)))
    if version:
        assert _cves(findings) == ["CVE-2025-0282", "CVE-2025-22457"]
    else:
        assert [f.check_id for f in findings] == [VERSION_UNKNOWN]
        assert findings[0].cves == ()
        assert "CVE-2019-11510" in findings[0].description_en


def test_ports_without_identity_make_no_device() -> None:
    bare = replace(_fortigate_web()[0], identity=None)
    assert fuse_host(HostResult("198.18.10.10", (bare,))) == ()


def test_an_undetermined_version_on_a_line_without_a_device_record_is_asked_for(
    demo_engagement: Engagement,
) -> None:
    without_dev01 = replace(
        demo_engagement, devices=tuple(d for d in demo_engagement.devices if d.key != "DEV-01")
    )
    assert all(d.point_key != "CP-01" for d in plan_requests(without_dev01))
    drafts = plan_requests(without_dev01, {"198.18.10.10"})
    (cp01,) = [d for d in drafts if d.point_key == "CP-01"]
    assert cp01.device_key is None
    assert Want.FIRMWARE in cp01.wants
    # a line whose device is on record is asked through the device's own request
    assert [d.device_key for d in plan_requests(demo_engagement, {"198.18.20.20"})] == ["DEV-03"]


def test_the_request_workflow_drafts_from_the_stored_finding(
    tmp_path: Path, demo_engagement: Engagement
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'kenshin.sqlite3'}")
    without_dev01 = replace(
        demo_engagement, devices=tuple(d for d in demo_engagement.devices if d.key != "DEV-01")
    )
    with store.session() as session:
        EngagementRepository(session).save(without_dev01)
    findings = _diagnose(HostResult("198.18.10.10", _fortigate_web()), without_dev01)
    assert [f.check_id for f in findings] == [VERSION_UNKNOWN]
    now = datetime.now(UTC)
    with store.session() as session:
        before = RequestRepository(session).draft(without_dev01, now, "surveyor")
    assert all(r.point_key != "CP-01" for r in before)
    with store.session() as session:
        FindingRepository(session).record(without_dev01.code, findings)
    with store.session() as session:
        after = RequestRepository(session).draft(without_dev01, now, "surveyor")
    assert [(r.point_key, r.wants) for r in after] == [("CP-01", (Want.FIRMWARE,))]
    store.dispose()


def test_demo_cp02_is_three_devices_behind_one_address(demo_engagement: Engagement) -> None:
    """198.18.20.20: the YAMAHA router (DEV-02, telnet prompt without version), the Ivanti
    appliance (DEV-03, no reported version, 22.7R2.3 inferred) and a Windows PC's RDP
    forwarded through: distinct devices by evidence, each judged on its own."""
    host = HostResult(
        "198.18.20.20",
        (
            _port(
                Protocol.TCP, 23, "telnet", "YAMAHA RTX router telnetd", confidence=Confidence.LOW
            ),
            _port(
                Protocol.TCP,
                443,
                "https",
                "Ivanti Connect Secure",
                "22.7R2.3",
                "cpe:2.3:a:ivanti:connect_secure:22.7r2.3:*:*:*:*:*:*:*",
                confidence=Confidence.INFERRED,
            ),
            _port(
                Protocol.TCP,
                3389,
                "ms-wbt-server",
                "Microsoft Terminal Services",
                cpe="cpe:2.3:o:microsoft:windows:*:*:*:*:*:*:*:*",
            ),
            _port(Protocol.UDP, 500, "isakmp", "YAMAHA IKE"),
        ),
    )
    devices = fuse_host(host, demo_engagement)
    assert sorted(d.record_key or "-" for d in devices) == ["-", "DEV-02", "DEV-03"]
    yamaha = next(d for d in devices if d.record_key == "DEV-02")
    assert {p.port for c in yamaha.components for p in c.ports} == {23, 500}
    findings = _diagnose(host, demo_engagement)
    by_cve = {c: f for f in findings for c in f.cves}
    assert sorted(by_cve) == [
        "CVE-2021-20843",
        "CVE-2021-20844",
        "CVE-2025-0282",
        "CVE-2025-22457",
    ]
    assert by_cve["CVE-2025-0282"].device.startswith("DEV-03")
    assert by_cve["CVE-2025-0282"].confidence is Confidence.INFERRED
    assert by_cve["CVE-2021-20843"].device.startswith("DEV-02")
    assert "reported" in by_cve["CVE-2021-20843"].evidence


def test_what_the_data_cannot_decide_at_a_known_version_is_one_cannot_tell() -> None:
    # the firmware's CPE without the model: NVD pairs the firmware with the RTX1210
    # hardware, which nothing confirmed, so neither CVE can be told either way
    telnet = _port(
        Protocol.TCP,
        23,
        "telnet",
        "YAMAHA router telnetd",
        "Rev.14.01.33",
        "cpe:2.3:o:yamaha:rtx1210_firmware:14.01.33:*:*:*:*:*:*:*",
    )
    findings = _diagnose(HostResult("198.18.20.21", (telnet,)))
    assert [f.check_id for f in findings] == [CANNOT_TELL]
    assert findings[0].cves == ()
    assert "CVE-2020-5548" in findings[0].description_en
    # the model named by the device settles it: affected, counted as CVEs
    with_model = replace(
        telnet,
        identity=replace(telnet.identity, extra=(("device", "YAMAHA RTX1210"),)),
    )
    decided = _diagnose(HostResult("198.18.20.21", (with_model,)))
    assert CANNOT_TELL not in [f.check_id for f in decided]
    assert _cves(decided) == ["CVE-2020-5548", "CVE-2021-20843", "CVE-2021-20844"]


def test_a_firmware_named_without_version_joins_the_versioned_one_of_its_vendor() -> None:
    portal = _port(
        Protocol.TCP,
        443,
        "https",
        "SonicWall SSL-VPN",
        cpe="cpe:2.3:o:sonicwall:sonicos:*:*:*:*:*:*:*:*",
    )
    versioned = _port(
        Protocol.TCP,
        4433,
        "https",
        "SonicWall SSL-VPN",
        "10.2.1.9-57sv",
        "cpe:2.3:o:sonicwall:sma_100_firmware:10.2.1.9-57sv:*:*:*:*:*:*:*",
    )
    (device,) = fuse_host(HostResult("198.18.10.54", (portal, versioned)))
    (component,) = device.components
    assert component.key == "sonicwall:sma_100_firmware"
    assert {p.port for p in component.ports} == {443, 4433}
    # alone, the unversioned firmware stays a device of its own ("cannot tell")
    (alone,) = fuse_host(HostResult("198.18.10.54", (portal,)))
    assert alone.firmware is not None
    assert alone.firmware.key == "sonicwall:sonicos"


def test_cannot_tell_is_not_evidence_of_a_missing_patch() -> None:
    (finding,) = _diagnose(HostResult("198.18.10.10", _fortigate_web()))
    assert finding.category is FindingCategory.CONFIGURATION
    cves = _diagnose(HostResult("198.18.20.21", _yamaha()))
    assert cves
    assert {c.category for c in cves} == {FindingCategory.VULNERABILITY}
