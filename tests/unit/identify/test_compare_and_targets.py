"""Reported versus observed firmware versions, and the ad-hoc target guard."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kenshin.domain import Engagement
from kenshin.domain.enums import Confidence, FindingCategory, Severity, VersionSource
from kenshin.domain.scan import HostResult, PortResult, PortState, Protocol, ServiceIdentity
from kenshin.identify import IdentifyError, check_target, compare_reported_versions
from kenshin.identify.fusion import versions_agree


def _fortigate(version: str, confidence: Confidence = Confidence.INFERRED) -> HostResult:
    identity = ServiceIdentity(
        service="https",
        product="Fortinet FortiGate SSL VPN",
        version=version,
        cpe=(f"cpe:2.3:o:fortinet:fortios:{version}:*:*:*:*:*:*:*",),
        confidence=confidence,
        evidence="inferred: /sslvpn/js/login.js ETag",
    )
    return HostResult(
        "198.18.10.10", (PortResult(Protocol.TCP, 443, PortState.OPEN, identity=identity),)
    )


def test_agreement_yields_nothing(demo_engagement: Engagement) -> None:
    assert compare_reported_versions(demo_engagement, [_fortigate("7.0.11")]) == []


def test_older_running_version_is_a_high_configuration_finding(
    demo_engagement: Engagement,
) -> None:
    findings = compare_reported_versions(demo_engagement, [_fortigate("7.0.10")])
    assert len(findings) == 1
    finding = findings[0]
    assert finding.category is FindingCategory.CONFIGURATION
    assert finding.severity is Severity.HIGH
    assert finding.subject.device_key == "DEV-01"
    assert "v7.0.11,build0489 (GA)" in finding.evidence
    assert "7.0.10" in finding.evidence
    assert "7.0.10" in finding.title_ja
    assert "v7.0.11" in finding.title_ja
    assert "reported" in finding.title_en
    assert finding.confidence is Confidence.INFERRED


def test_newer_running_version_is_medium(demo_engagement: Engagement) -> None:
    findings = compare_reported_versions(demo_engagement, [_fortigate("7.0.12")])
    assert [f.severity for f in findings] == [Severity.MEDIUM]


def test_other_vendor_on_the_same_address_is_not_compared(demo_engagement: Engagement) -> None:
    ivanti = ServiceIdentity(service="https", product="Ivanti Connect Secure", version="22.7R2.3")
    yamaha = ServiceIdentity(service="snmp", product="YAMAHA RTX1210", version="Rev.14.01.38")
    host = HostResult(
        "198.18.20.20",
        (
            PortResult(Protocol.TCP, 443, PortState.OPEN, identity=ivanti),
            PortResult(Protocol.UDP, 161, PortState.OPEN, identity=yamaha),
        ),
    )
    assert compare_reported_versions(demo_engagement, [host]) == []
    older = replace(
        host,
        ports=(
            host.ports[0],
            replace(host.ports[1], identity=replace(yamaha, version="Rev.14.01.33")),
        ),
    )
    findings = compare_reported_versions(demo_engagement, [older])
    assert [f.subject.device_key for f in findings] == ["DEV-02"]


def test_version_not_obtained_is_not_compared(demo_engagement: Engagement) -> None:
    devices = tuple(
        replace(d, version_source=VersionSource.NOT_OBTAINED) if d.key == "DEV-01" else d
        for d in demo_engagement.devices
    )
    engagement = replace(demo_engagement, devices=devices)
    assert compare_reported_versions(engagement, [_fortigate("6.4.0")]) == []


def test_versions_compare_in_the_vendor_scheme() -> None:
    assert versions_agree("fortinet", "fortios", "v7.0.11,build0489 (GA)", "7.0.11")
    assert versions_agree("fortinet", "fortios", "7.0", "7.0.11")
    assert not versions_agree("fortinet", "fortios", "7.0.17", "7.0.11")
    assert versions_agree("yamaha", "rtx1210_firmware", "Rev.14.01.38", "14.01.38")
    assert not versions_agree("yamaha", "rtx1210_firmware", "Rev.14.01.38", "Rev.14.01.33")
    # PAN-OS hotfixes count: 10.2.9-h1 is not 10.2.9-h3 (a coarser 10.2.9 agrees with both)
    assert not versions_agree("paloaltonetworks", "pan-os", "10.2.9-h1", "10.2.9-h3")
    assert versions_agree("paloaltonetworks", "pan-os", "10.2.9", "10.2.9-h3")
    assert not versions_agree("ivanti", "connect_secure", "22.7R2.3", "22.7R2.4")


def test_loopback_is_allowed() -> None:
    assert check_target("127.0.0.1") == "127.0.0.1"
    assert check_target("::1") == "::1"


def test_lab_range_needs_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KENSHIN_LAB_TARGETS", raising=False)
    with pytest.raises(IdentifyError) as caught:
        check_target("198.18.10.10")
    assert "KENSHIN_LAB_TARGETS" in caught.value.message("en")
    monkeypatch.setenv("KENSHIN_LAB_TARGETS", "1")
    assert check_target("198.18.10.10") == "198.18.10.10"


def test_other_addresses_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KENSHIN_LAB_TARGETS", "1")
    for address in ("203.0.113.5", "192.0.2.10", "198.51.100.7"):
        with pytest.raises(IdentifyError) as caught:
            check_target(address)
        assert "loopback" in caught.value.message("en")
        assert "ループバック" in caught.value.message("ja")
    with pytest.raises(IdentifyError, match="not an IP address"):
        check_target("not-an-address")
