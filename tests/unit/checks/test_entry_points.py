"""A CVE reached through one service (fgfmd on 541/tcp) is reported on that service's port."""

from __future__ import annotations

import asyncio

from kenshin.checks.base import CheckSettings, CheckStats, CheckTarget
from kenshin.checks.known_vulns import KnownVulnerabilities, entry_points
from kenshin.domain import Confidence, Finding, PortResult, PortState, Protocol, Severity
from kenshin.domain.scan import HostResult, ServiceIdentity
from kenshin.identify.fusion import fuse_host
from kenshin.vulndb import ProductQuery, VulnMatch

SSLVPN = PortResult(
    Protocol.TCP,
    443,
    PortState.OPEN,
    "syn-ack",
    ServiceIdentity(
        "https",
        "Fortinet FortiGate SSL VPN",
        "7.0.11",
        ("cpe:2.3:o:fortinet:fortios:7.0.11:*:*:*:*:*:*:*",),
        confidence=Confidence.HIGH,
    ),
)
FGFM = PortResult(Protocol.TCP, 541, PortState.OPEN, "syn-ack", ServiceIdentity("ssl"))


def match(cve: str) -> VulnMatch:
    return VulnMatch(
        cve=cve,
        title_ja="t",
        title_en="t",
        description_ja="",
        description_en="",
        advice_ja="",
        advice_en="",
        cvss=9.8,
        severity=Severity.CRITICAL,
        kev=True,
        kev_date=None,
        ransomware=False,
        jvn_ids=(),
        fixed_version="7.0.14",
        confidence=Confidence.HIGH,
        status="affected",
        evidence="7.0.11 < 7.0.14",
    )


class Fixed:
    def match(self, query: ProductQuery) -> list[VulnMatch]:
        return [match("CVE-2024-23113"), match("CVE-2023-27997")]

    def covers(self, query: ProductQuery) -> bool:
        return True

    def kev_at_stake(self, query: ProductQuery) -> list[VulnMatch]:
        return []


def run(host_ports: tuple[PortResult, ...]) -> list[Finding]:
    (device,) = fuse_host(HostResult("192.0.2.10", host_ports))
    target = CheckTarget("192.0.2.10", SSLVPN, host_ports, device=device)
    return list(
        asyncio.run(KnownVulnerabilities(Fixed()).run(target, CheckSettings(), CheckStats()))
    )


def test_fgfmd_cve_goes_to_541_when_fgfm_answers() -> None:
    findings = {f.cves[0]: f for f in run((SSLVPN, FGFM))}
    fgfmd = findings["CVE-2024-23113"]
    assert fgfmd.subject.port == 541
    assert "FGFM (fgfmd) answers on 541/tcp" in fgfmd.evidence
    assert findings["CVE-2023-27997"].subject.port == 443  # the SSL-VPN's own CVE stays


def test_fgfmd_cve_stays_where_the_version_was_read_without_fgfm() -> None:
    closed = PortResult(Protocol.TCP, 541, PortState.CLOSED, "reset")
    findings = {f.cves[0]: f for f in run((SSLVPN, closed))}
    assert findings["CVE-2024-23113"].subject.port == 443
    assert "answers on" not in findings["CVE-2024-23113"].evidence


def test_entry_points_data_names_its_ports() -> None:
    assert entry_points()["CVE-2024-23113"].ports == frozenset({541})
