"""Passive checks and the engine: applicability, scope, politeness, failures."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

import pytest

from kenshin.checks import (
    NETWORK_CHECKS,
    Check,
    ChecksError,
    CheckSettings,
    CheckStats,
    CheckTarget,
    Intensity,
    diagnose,
    roles_by_address,
)
from kenshin.checks.accounts import SnmpDefaultCommunity
from kenshin.checks.backdoor import BackdooredRelease, KnownBackdoorPort, UnexpectedServiceOnVpn
from kenshin.checks.exposure import (
    AdminWebExposure,
    DnsOpenRecursion,
    NtpAmplification,
    ServiceExposure,
)
from kenshin.domain import (
    AuditEvent,
    AuditOutcome,
    Engagement,
    Finding,
    HostResult,
    PortResult,
    PortState,
    Protocol,
    ServiceIdentity,
)
from kenshin.scope import Gate

from .servers import target, tcp_server


def run_check(check: Check, t: CheckTarget) -> list[Finding]:
    if not check.applies_to(t):
        return []
    return list(asyncio.run(check.run(t, CheckSettings(), CheckStats())))


@pytest.mark.parametrize(
    ("service", "port", "protocol", "expected"),
    [
        ("telnet", 23, Protocol.TCP, "exposure.telnet"),
        ("ms-wbt-server", 3389, Protocol.TCP, "exposure.rdp"),
        ("microsoft-ds", 445, Protocol.TCP, "exposure.smb"),
        ("snmp", 161, Protocol.UDP, "exposure.snmp"),
        ("redis", 6379, Protocol.TCP, "exposure.database"),
        ("", 3389, Protocol.TCP, "exposure.rdp"),  # unidentified, judged by its port
        ("https", 443, Protocol.TCP, None),
        ("isakmp", 500, Protocol.UDP, None),
        ("smtp", 25, Protocol.TCP, None),
    ],
)
def test_service_exposure_both_ways(
    service: str, port: int, protocol: Protocol, expected: str | None
) -> None:
    found = run_check(ServiceExposure(), target(port, service, protocol))
    assert [f.check_id for f in found] == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("product", "fires"),
    [
        ("YAMAHA RTX1210 web GUI", True),
        ("Fortinet FortiGate admin UI", True),
        ("Fortinet FortiGate SSL VPN", False),
        ("nginx", False),
    ],
)
def test_admin_web_exposure(product: str, fires: bool) -> None:
    assert bool(run_check(AdminWebExposure(), target(443, "https", product=product))) is fires


@pytest.mark.parametrize(
    ("product", "version", "fires"),
    [
        ("vsftpd", "2.3.4", True),
        ("vsftpd", "3.0.3", False),
        ("ProFTPD", "1.3.3c", True),
        ("ProFTPD", "1.3.3", False),
    ],
)
def test_backdoored_release_by_version(product: str, version: str, fires: bool) -> None:
    found = run_check(BackdooredRelease(), target(21, "ftp", product=product, version=version))
    assert bool(found) is fires
    if fires and product == "vsftpd":
        assert found[0].cves == ("CVE-2011-2523",)


def test_known_backdoor_port_only_when_unidentified() -> None:
    assert run_check(KnownBackdoorPort(), target(31337))
    assert not run_check(KnownBackdoorPort(), target(31337, "http", product="nginx"))
    assert not run_check(KnownBackdoorPort(), target(8080))


def test_unexpected_service_on_vpn_appliance() -> None:
    on_vpn = target(23, "telnet", role="vpn_gateway")
    assert run_check(UnexpectedServiceOnVpn(), on_vpn)
    assert not run_check(UnexpectedServiceOnVpn(), target(443, "https", role="vpn_gateway"))
    assert not run_check(UnexpectedServiceOnVpn(), target(23, "telnet", role="router"))


def test_roles_by_address(demo_engagement: Engagement) -> None:
    roles = roles_by_address(demo_engagement)
    assert roles == {"198.18.10.10": "utm", "198.18.20.20": "router"}
    only_vpn = dataclasses.replace(
        demo_engagement,
        devices=tuple(d for d in demo_engagement.devices if d.key != "DEV-02"),
    )
    assert roles_by_address(only_vpn)["198.18.20.20"] == "vpn_gateway"


def test_every_check_declares_itself() -> None:
    ids = [c.check_id for c in NETWORK_CHECKS]
    assert len(ids) == len(set(ids))
    for check in NETWORK_CHECKS:
        assert isinstance(check.intensity, Intensity)
        assert check.modifies_target is False


def _host(address: str, *ports: PortResult) -> HostResult:
    return HostResult(address, tuple(ports))


def test_engine_refuses_hosts_outside_scope() -> None:
    host = _host("192.0.2.10", PortResult(Protocol.TCP, 23, PortState.OPEN))
    events: list[AuditEvent] = []
    gate = Gate.adhoc(events.append, env={}, action="diagnose.checks")
    with pytest.raises(ChecksError) as raised:
        asyncio.run(diagnose([host], NETWORK_CHECKS, gate=gate))
    assert "192.0.2.10" in raised.value.message("en")
    assert [(e.action, e.outcome, e.targets) for e in events] == [
        ("diagnose.checks", AuditOutcome.REFUSED, ("192.0.2.10",))
    ]


class _Exploding(Check):
    check_id = "exposure.exploding"
    intensity = Intensity.PASSIVE

    def applies_to(self, target: CheckTarget) -> bool:
        return True

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        raise RuntimeError("boom")


class _Login(Check):
    """Counts how many login-type runs overlap on one host."""

    check_id = "account.counting"
    intensity = Intensity.LOGIN
    active = 0
    most = 0

    def applies_to(self, target: CheckTarget) -> bool:
        return True

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        type(self).active += 1
        type(self).most = max(type(self).most, type(self).active)
        await asyncio.sleep(0.05)
        type(self).active -= 1
        return []


def test_engine_runs_only_open_ports_isolates_failures_and_serialises_logins() -> None:
    identity = ServiceIdentity("telnet", "YAMAHA RTX1210")
    host = _host(
        "127.0.0.1",
        PortResult(Protocol.TCP, 23, PortState.OPEN, identity=identity),
        PortResult(Protocol.TCP, 3389, PortState.CLOSED),
        PortResult(Protocol.TCP, 445, PortState.FILTERED),
        PortResult(Protocol.UDP, 161, PortState.OPEN_FILTERED),
        *(PortResult(Protocol.TCP, p, PortState.OPEN) for p in (8001, 8002, 8003)),
    )
    result = asyncio.run(
        diagnose([host], (ServiceExposure(), _Exploding(), _Login()), gate=Gate.adhoc(env={}))
    )
    assert [f.check_id for f in result.findings] == ["exposure.telnet"]
    assert len(result.errors) == 4
    assert "boom" in result.errors[0]
    assert _Login.most == 1


@pytest.mark.parametrize(
    ("check", "service", "port"),
    [
        (DnsOpenRecursion(), "domain", 53),
        (NtpAmplification(), "ntp", 123),
        (SnmpDefaultCommunity(), "snmp", 161),
    ],
)
def test_udp_only_check_is_not_run_for_a_tcp_port(check: Check, service: str, port: int) -> None:
    assert check.applies_to(target(port, service, Protocol.UDP))
    assert not check.applies_to(target(port, service, Protocol.TCP))
    identity = ServiceIdentity(service)
    host = _host("127.0.0.1", PortResult(Protocol.TCP, port, PortState.OPEN, identity=identity))
    result = asyncio.run(diagnose([host], (check,), gate=Gate.adhoc(env={})))
    assert (result.findings, result.stats, result.errors) == ((), (), ())


def test_engine_counts_connections_per_family() -> None:
    async def scenario() -> tuple:  # type: ignore[type-arg]
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"root@edge:~# ")
            await writer.drain()
            await asyncio.sleep(0.5)

        async with tcp_server(handle) as port:
            host = _host("127.0.0.1", PortResult(Protocol.TCP, port, PortState.OPEN))
            result = await diagnose(
                [host],
                NETWORK_CHECKS,
                gate=Gate.adhoc(env={}),
                settings=CheckSettings(read_timeout=1.0),
            )
            return result.findings, result.stats

    findings, stats = asyncio.run(scenario())
    assert [f.check_id for f in findings] == ["backdoor.bind_shell"]
    backdoor = next(s for s in stats if s.family == "backdoor.bind_shell")
    assert backdoor.connections == 1
