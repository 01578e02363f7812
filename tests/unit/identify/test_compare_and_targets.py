"""Reported versus observed firmware versions, and identification behind the scope's gate."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from kenshin.domain import AuditEvent, AuditOutcome, Engagement
from kenshin.domain.enums import Confidence, FindingCategory, Severity, VersionSource
from kenshin.domain.scan import HostResult, PortResult, PortState, Protocol, ServiceIdentity
from kenshin.identify import compare_reported_versions, identify_host, identify_port
from kenshin.identify.fusion import versions_agree
from kenshin.scope import ADHOC_PROBE_ACTION, Gate, ScopeError


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


def _refused(gate: Gate, address: str) -> ScopeError:
    """Identification of ``address`` through ``gate``: the refusal, before any packet."""
    port = PortResult(Protocol.TCP, 22, PortState.OPEN)
    with pytest.raises(ScopeError) as caught:
        asyncio.run(identify_port(address, port, gate=gate))
    return caught.value


def test_loopback_passes_the_adhoc_gate() -> None:
    gate = Gate.adhoc(env={})
    assert gate.permit("127.0.0.1") == "127.0.0.1"
    assert gate.permit("::1") == "::1"


def test_lab_range_needs_the_switch() -> None:
    events: list[AuditEvent] = []
    refusal = _refused(Gate.adhoc(events.append, env={}), "198.18.10.10")
    assert "KENSHIN_LAB_TARGETS" in refusal.message("en")
    assert [(e.action, e.outcome, e.targets) for e in events] == [
        (ADHOC_PROBE_ACTION, AuditOutcome.REFUSED, ("198.18.10.10",))
    ]
    lab = Gate.adhoc(env={"KENSHIN_LAB_TARGETS": "1"})
    assert lab.permit("198.18.10.10") == "198.18.10.10"


def test_other_addresses_are_refused_and_audited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KENSHIN_LAB_TARGETS", "1")
    for address in ("203.0.113.5", "192.0.2.10", "198.51.100.7"):
        events: list[AuditEvent] = []
        refusal = _refused(Gate.adhoc(events.append), address)
        assert "loopback" in refusal.message("en")
        assert "ループバック" in refusal.message("ja")
        assert len(events) == 1
        assert events[0].outcome is AuditOutcome.REFUSED
        assert events[0].targets == (address,)
        assert "loopback" in events[0].details["reason"]


def test_identify_host_refuses_before_any_probe() -> None:
    events: list[AuditEvent] = []
    ports = [PortResult(Protocol.TCP, 22, PortState.OPEN)]
    with pytest.raises(ScopeError):
        asyncio.run(identify_host("203.0.113.5", ports, gate=Gate.adhoc(events.append, env={})))
    assert [e.outcome for e in events] == [AuditOutcome.REFUSED]
