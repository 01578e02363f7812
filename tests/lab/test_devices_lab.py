"""One device, one verdict, on real wire (issue 15): the ``devices`` lab profile's
appliance twins are identified port by port, fused into devices and judged once each.

Each twin must get exactly its true CVEs from the shipped snapshot, once per device,
and none whose ranges exclude its version; a version shown nowhere is one "version not
determined" finding and no CVE; a vendor report that disagrees with the device is a
finding of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import replace
from ipaddress import ip_address
from pathlib import Path

import pytest
from _probes import LAB_GATE, only

from kenshin.checks import DiagnosisResult, diagnose
from kenshin.checks.known_vulns import VERSION_UNKNOWN, KnownVulnerabilities
from kenshin.checks.stage import DiagnosisStage
from kenshin.domain import (
    Engagement,
    EvidenceSource,
    GlobalAddress,
    HostResult,
    PortResult,
    PortState,
    Protocol,
    VersionSource,
)
from kenshin.identify import LAB_SETTINGS, compare_reported_versions, identify_host
from kenshin.lab import Lab
from kenshin.scan import LAB, ScanPipeline, ScanPlan, TcpMode, run_scan
from kenshin.scan.export import report_document, validate_scan_document
from kenshin.scope import Gate, LabPermission, adhoc_scope
from kenshin.vulndb import KnowledgeBase

# xdist: in the own-labs group (XDIST_GROUPS in tests/conftest.py).
pytestmark = [
    pytest.mark.lab,
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.usefixtures("needs_root"),
]

# the snapshot's CVEs of each twin's true version (FortiOS 7.0.11; RTX1210 Rev.14.01.38;
# PAN-OS 10.2.9: CVE-2024-3400 fixed in 10.2.9-h1, while the 2024-2025 management-interface
# and DNS Security advisories name 10.2.9 and 10.2.9-h1 alike; Ivanti 22.7R2.3:
# CVE-2025-0282 fixed in 22.7R2.5, CVE-2025-22457 in 22.7R2.6; ASA 9.8(4): CVE-2020-3452
# fixed in 9.8(4)20, and 9.8 is a train of the ArcaneDoor and Akira advisories)
PANOS_10_2_9_H1 = {
    "CVE-2024-0012",
    "CVE-2024-3393",
    "CVE-2024-9474",
    "CVE-2025-0108",
    "CVE-2025-0111",
}
TRUE_CVES = {
    "fsnmp": {
        "CVE-2023-27997",
        "CVE-2024-21762",
        "CVE-2024-23113",
        "CVE-2024-55591",
        "CVE-2025-24472",
    },
    "ybanner": {"CVE-2021-20843", "CVE-2021-20844"},
    "fsilent": set(),
    "fpatched": set(),
    "psnmp": {"CVE-2024-3400", *PANOS_10_2_9_H1},
    "ppatched": PANOS_10_2_9_H1,
    "iport": {"CVE-2025-0282", "CVE-2025-22457"},
    "isilent": set(),
    # 9.8(4): CVE-2020-3259 and CVE-2020-3452 fixed in 9.8(4)20; 9.8 has no fix for the others
    "asnmp": {"CVE-2020-3259", "CVE-2020-3452", "CVE-2023-20269", "CVE-2024-20353"},
    "sma": set(),
}
# the twins whose version the device shows nowhere, with a KEV-listed CVE of their
# product the "version not determined" finding must name as what is at stake
SILENT = {"fsilent": "CVE-2024-21762", "isilent": "CVE-2025-0282"}
# the twins on a release with no CVE in the snapshot, with the version (and its source)
# that must be read. ppatched (PAN-OS 10.2.9-h1) is patched for CVE-2024-3400 only: the
# later advisories name its release too, so TRUE_CVES checks it has exactly those.
PATCHED = {
    "fpatched": ("v7.0.17", EvidenceSource.SNMP),
    "sma": ("10.2.1.9-57sv", EvidenceSource.BANNER),  # the portal page's resource URLs
}
# CVEs of the same products whose ranges exclude the twins' versions
NEVER = {
    "CVE-2018-13379",
    "CVE-2018-13382",
    "CVE-2019-5591",
    "CVE-2020-12812",
    "CVE-2022-40684",
    "CVE-2022-42475",
    "CVE-2020-5548",
    "CVE-2020-2021",
    "CVE-2019-11510",
    "CVE-2023-46805",
    "CVE-2024-21887",
}


@pytest.fixture(scope="module")
def devices_lab() -> Iterator[Lab]:
    with Lab.start("devices") as lab:
        yield lab


@pytest.fixture(scope="module")
def identified(devices_lab: Lab) -> dict[str, HostResult]:
    by_role: dict[str, list[PortResult]] = {}
    address_of: dict[str, str] = {}
    for service in devices_lab.services:
        address_of[service.role] = service.address
        by_role.setdefault(service.role, []).append(
            PortResult(Protocol(service.protocol), service.port, PortState.OPEN)
        )

    async def run() -> dict[str, HostResult]:
        found = {}
        for role, ports in by_role.items():
            address = address_of[role]
            identified = await identify_host(address, ports, LAB_SETTINGS, gate=LAB_GATE)
            found[role] = HostResult(address, identified)
        return found

    return asyncio.run(run())


def _diagnose(lab: Lab, hosts: list[HostResult], engagement: Engagement | None) -> DiagnosisResult:
    return asyncio.run(
        diagnose(
            hosts,
            [KnownVulnerabilities(KnowledgeBase(None))],
            gate=only(lab.addresses),
            engagement=engagement,
        )
    )


@pytest.fixture(scope="module")
def diagnosis(devices_lab: Lab, identified: dict[str, HostResult]) -> DiagnosisResult:
    return _diagnose(devices_lab, list(identified.values()), None)


def _of(result: DiagnosisResult, host: HostResult) -> HostResult:
    return next(h for h in result.hosts if h.address == host.address)


@pytest.mark.parametrize("role", sorted(TRUE_CVES))
def test_each_twin_gets_exactly_its_true_cves_once(
    diagnosis: DiagnosisResult, identified: dict[str, HostResult], role: str
) -> None:
    host = _of(diagnosis, identified[role])
    assert len(host.devices) == 1, host.devices
    cves = [c for f in host.findings for c in f.cves]
    assert sorted(cves) == sorted(TRUE_CVES[role]), (role, [f.title_en for f in host.findings])
    assert not NEVER & set(cves)


def test_version_only_in_snmp_reaches_the_silent_web_ports(
    diagnosis: DiagnosisResult, identified: dict[str, HostResult]
) -> None:
    host = _of(diagnosis, identified["fsnmp"])
    web = [p for p in host.ports if p.protocol is Protocol.TCP]
    assert web
    assert all(p.identity is not None and not p.identity.version for p in web)
    firmware = host.devices[0].firmware
    assert firmware is not None
    assert firmware.version is not None
    assert firmware.version.source is EvidenceSource.SNMP
    assert {p.port for p in firmware.ports} == {443, 10443, 161}
    for finding in host.findings:
        assert "443/tcp" in finding.evidence
        assert "10443/tcp" in finding.evidence


def test_version_only_in_a_banner_on_another_port(
    diagnosis: DiagnosisResult, identified: dict[str, HostResult]
) -> None:
    host = _of(diagnosis, identified["ybanner"])
    firmware = host.devices[0].firmware
    assert firmware is not None
    assert firmware.version is not None
    assert firmware.version.value == "Rev.14.01.38"
    assert firmware.version.where.startswith("23/tcp")
    assert {p.port for p in firmware.ports} == {23, 80}


@pytest.mark.parametrize("role", sorted(SILENT))
def test_version_nowhere_is_one_finding_and_no_cve(
    diagnosis: DiagnosisResult, identified: dict[str, HostResult], role: str
) -> None:
    host = _of(diagnosis, identified[role])
    assert [f.check_id for f in host.findings] == [VERSION_UNKNOWN]
    assert host.findings[0].cves == ()
    assert SILENT[role] in host.findings[0].description_en


@pytest.mark.parametrize("role", sorted(PATCHED))
def test_a_patched_release_read_on_another_port_gives_no_finding(
    diagnosis: DiagnosisResult, identified: dict[str, HostResult], role: str
) -> None:
    """Zero CVEs because the version is known and fixed — not because it is unknown."""
    host = _of(diagnosis, identified[role])
    version, source = PATCHED[role]
    (device,) = host.devices
    (software,) = [c for c in device.components if c.version is not None]
    assert software.version is not None
    assert software.version.source is source
    assert software.version.value.startswith(version)
    assert host.findings == ()


@pytest.mark.parametrize(
    ("role", "version", "source", "where", "ports"),
    [
        ("psnmp", "10.2.9", EvidenceSource.SNMP, "161/udp", {443, 161}),
        ("asnmp", "9.8(4)", EvidenceSource.SNMP, "161/udp", {443, 161}),
        ("iport", "22.7R2.3", None, "8443/tcp", {443, 8443}),
    ],
)
def test_the_version_of_one_port_judges_the_whole_appliance(
    diagnosis: DiagnosisResult,
    identified: dict[str, HostResult],
    role: str,
    version: str,
    source: EvidenceSource | None,
    where: str,
    ports: set[int],
) -> None:
    """The appliance's silent ports get no version of their own; the device gets the one
    port's version, and each CVE finding lists every port of the device."""
    host = _of(diagnosis, identified[role])
    silent = next(p for p in host.ports if p.port == 443)
    assert silent.identity is not None
    assert not silent.identity.version
    (device,) = host.devices
    # the appliance's software (ASA software is an application in NVD's CPE names)
    (software,) = [c for c in device.components if c.version is not None]
    assert software.version is not None
    assert software.version.value == version
    assert software.version.where.startswith(where)
    if source is not None:
        assert software.version.source is source
    assert {p.port for p in software.ports} == ports
    for finding in host.findings:
        for port in ports:
            assert f"{port}/" in finding.evidence


def test_a_reported_version_that_disagrees_with_the_device_is_a_finding(
    devices_lab: Lab, identified: dict[str, HostResult], demo_engagement: Engagement
) -> None:
    host = identified["fsnmp"]
    point = replace(
        demo_engagement.point("CP-01"), addresses=(GlobalAddress(ip_address(host.address)),)
    )
    devices = tuple(
        replace(d, firmware_version="v7.0.17,build0682 (GA)", version_source=VersionSource.VENDOR)
        if d.key == "DEV-01"
        else d
        for d in demo_engagement.devices
    )
    engagement = replace(
        demo_engagement,
        connection_points=tuple(
            point if p.key == "CP-01" else p for p in demo_engagement.connection_points
        ),
        devices=devices,
    )
    result = _diagnose(devices_lab, [host], engagement)
    (device,) = result.hosts[0].devices
    firmware = device.firmware
    assert firmware is not None
    assert firmware.version is not None
    assert firmware.conflict
    assert firmware.version.source is EvidenceSource.REPORTED
    assert firmware.conflict.source is EvidenceSource.SNMP
    (mismatch,) = compare_reported_versions(engagement, result.hosts)
    assert "v7.0.17" in mismatch.evidence
    assert "v7.0.11" in mismatch.evidence
    assert mismatch.subject.device_key == "DEV-01"


def test_the_scan_document_carries_the_device(
    devices_lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Port scan, identification, fusion and checks as ``kenshin scan --json`` runs them:
    the kenshin.scan/1 (1.1) document names the device, its version and its source."""
    monkeypatch.setenv("KENSHIN_DATA_DIR", str(tmp_path / "data"))  # the snapshot alone
    address = devices_lab.host("fsnmp").address

    async def identifier(
        target: str, ports: Sequence[PortResult], gate: Gate
    ) -> tuple[PortResult, ...]:
        return await identify_host(target, ports, LAB_SETTINGS, gate=gate)

    plan = ScanPlan((address,), (443, 10443), (161,), TcpMode.CONNECT, identify=True)
    outcome = asyncio.run(
        run_scan(
            plan,
            adhoc_scope(LabPermission()),
            LAB.with_changes(max_timeout=1.0, udp_wait=1.0),
            pipeline=ScanPipeline(identifier, (DiagnosisStage(),)),
        )
    )
    document = report_document(outcome.report)
    validate_scan_document(document)
    (host,) = document["hosts"]
    (device,) = host["devices"]
    (firmware,) = [c for c in device["components"] if c["part"] == "o"]
    assert firmware["version"]["source"] == "snmp"
    assert firmware["version"]["value"].startswith("v7.0.11")
    cves = sorted(c for f in host["findings"] for c in f["cves"])
    assert cves == sorted(TRUE_CVES["fsnmp"])
    assert all(
        f["device"].startswith("Fortinet FortiGate-60F") for f in host["findings"] if f["cves"]
    )
