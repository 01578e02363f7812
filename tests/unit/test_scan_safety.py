"""No out-of-scope address is ever contacted: property tests on an instrumented socket layer.

``SpySocket`` replaces ``socket.socket`` for the duration of a test. It records the
destination of every connect, connect_ex and sendto on an IP socket. Only loopback
traffic is really sent; any other destination is recorded and then answered with
"host unreachable" (connect) or silently dropped (sendto), so these tests never put a
packet on a real network even when the code under test would misbehave.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address, ip_address
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kenshin.domain import (
    AddressAssignment,
    AuditEvent,
    AuditOutcome,
    Authorisation,
    ConnectionKind,
    ConnectionPoint,
    DiagnosisWindow,
    Engagement,
    GlobalAddress,
    Institution,
)
from kenshin.scan import (
    LAB,
    EmergencyStop,
    ScanPlan,
    TcpMode,
    run_scan,
    syn_available,
)
from kenshin.scan.guard import TableScan
from kenshin.scan.state import Outcomes, PortTable
from kenshin.scan.tcp_connect import ConnectScan
from kenshin.scan.tcp_syn import SynScan
from kenshin.scan.udp import UdpScan
from kenshin.scope import (
    Gate,
    LabPermission,
    Scope,
    ScopeError,
    adhoc_scope,
    scope_for_engagement,
)

_real_socket = socket.socket


def _is_loopback(host: str) -> bool:
    try:
        return ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class SpySocket(_real_socket):
    contacts: ClassVar[list[str]] = []

    def _record(self, address: Any) -> bool:
        if self.family not in (socket.AF_INET, socket.AF_INET6):
            return True
        host = str(address[0])
        SpySocket.contacts.append(host)
        return _is_loopback(host)

    def connect(self, address: Any) -> None:
        if not self._record(address):
            raise OSError(errno.EHOSTUNREACH, "blocked by the test spy")
        super().connect(address)

    def connect_ex(self, address: Any) -> int:
        if not self._record(address):
            return errno.EHOSTUNREACH
        return super().connect_ex(address)

    def sendto(self, data: Any, *args: Any) -> int:
        if not self._record(args[-1]):
            return len(data)
        return super().sendto(data, *args)  # type: ignore[arg-type]


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[list[str]]:
    monkeypatch.setattr(socket, "socket", SpySocket)
    monkeypatch.setenv("KENSHIN_STOP_FILE", str(tmp_path / "stop"))
    SpySocket.contacts = []
    yield SpySocket.contacts
    SpySocket.contacts = []


FAST = LAB.with_changes(
    initial_timeout=0.2, min_timeout=0.05, max_timeout=0.3, udp_wait=0.2, retries=0
)

addresses = st.one_of(
    st.integers(0, 255).map(lambda n: f"127.0.0.{n}"),
    st.integers(0, 2**17 - 1).map(lambda n: str(IPv4Address("198.18.0.0") + n)),
    st.integers(0, 255).map(lambda n: f"192.0.2.{n}"),
    st.integers(0, 255).map(lambda n: f"203.0.113.{n}"),
    st.integers(0, 2**32 - 1).map(lambda n: str(IPv4Address(n))),
)


def contacted_only_allowed(contacts: list[str], scope: Scope) -> bool:
    return all(scope.allows(host) for host in contacts)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    targets=st.lists(addresses, min_size=1, max_size=4, unique=True),
    lab=st.booleans(),
    mode=st.sampled_from([TcpMode.CONNECT, TcpMode.SYN]),
    udp=st.booleans(),
)
def test_adhoc_scans_never_contact_outside_scope(
    spy: list[str], targets: list[str], lab: bool, mode: TcpMode, udp: bool
) -> None:
    spy.clear()
    scope = adhoc_scope(LabPermission() if lab else None, env={})
    plan = ScanPlan(tuple(targets), (1, 7), (9,) if udp else (), mode, identify=False)
    stop = EmergencyStop()
    if all(scope.allows(t) for t in targets):
        asyncio.run(run_scan(plan, scope, FAST, stop=stop))
        assert set(spy) <= set(targets)
    else:
        with pytest.raises(ScopeError):
            asyncio.run(run_scan(plan, scope, FAST, stop=stop))
        assert spy == [], "a refused scan must send nothing"
    assert contacted_only_allowed(spy, scope)


def _engagement(points: list[ConnectionPoint]) -> Engagement:
    now = datetime.now(UTC)
    return Engagement(
        code="spy-2026",
        title="spy",
        institution=Institution(name="架空病院"),
        window=DiagnosisWindow(now - timedelta(hours=1), now + timedelta(hours=1)),
        authorisation=Authorisation("院長", now - timedelta(days=1)),
        connection_points=tuple(points),
    )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    allowed=st.lists(st.integers(1, 250), min_size=1, max_size=2, unique=True),
    closed=st.integers(1, 250),
    requested_extra=st.lists(addresses, max_size=2),
)
def test_engagement_scans_contact_only_authorised_addresses(
    spy: list[str], allowed: list[int], closed: int, requested_extra: list[str]
) -> None:
    spy.clear()
    points = [
        ConnectionPoint(
            key=f"CP-{n}",
            name="line",
            kind=ConnectionKind.INTERNET,
            in_ehr_scope=True,
            internet_reachable=True,
            addresses=(GlobalAddress(ip_address(f"198.18.7.{n}"), AddressAssignment.FIXED),),
        )
        for n in allowed
    ]
    points.append(
        ConnectionPoint(
            key="CP-CLOSED",
            name="closed",
            kind=ConnectionKind.CLOSED_NETWORK,
            in_ehr_scope=True,
            addresses=(GlobalAddress(ip_address(f"198.19.7.{closed}"), AddressAssignment.FIXED),),
        )
    )
    scope = scope_for_engagement(_engagement(points))
    targets = tuple(f"198.18.7.{n}" for n in allowed) + tuple(requested_extra)
    plan = ScanPlan(targets, (80,), (), TcpMode.CONNECT, identify=False)
    if all(scope.allows(t) for t in targets):
        asyncio.run(run_scan(plan, scope, FAST))
    else:
        with pytest.raises(ScopeError):
            asyncio.run(run_scan(plan, scope, FAST))
        assert spy == []
    assert f"198.19.7.{closed}" not in spy
    assert contacted_only_allowed(spy, scope)


def test_closed_network_address_refused_before_any_packet(spy: list[str]) -> None:
    points = [
        ConnectionPoint(
            key="CP-1",
            name="line",
            kind=ConnectionKind.INTERNET,
            in_ehr_scope=True,
            internet_reachable=True,
            addresses=(GlobalAddress(ip_address("198.18.7.1"), AddressAssignment.FIXED),),
        ),
        ConnectionPoint(
            key="CP-3",
            name="closed",
            kind=ConnectionKind.CLOSED_NETWORK,
            in_ehr_scope=True,
            addresses=(GlobalAddress(ip_address("198.19.7.3"), AddressAssignment.FIXED),),
        ),
    ]
    scope = scope_for_engagement(_engagement(points))
    events: list[Any] = []
    with pytest.raises(ScopeError) as refused:
        asyncio.run(run_scan(ScanPlan(("198.19.7.3",), (443,)), scope, FAST, audit=events.append))
    assert refused.value.key == "scope.closed_network"
    assert spy == []
    assert [e.outcome.value for e in events] == ["refused"]


@pytest.mark.parametrize("engine", ["connect", "udp", "syn"])
def test_lowest_layer_refuses_unplanned_addresses(spy: list[str], engine: str) -> None:
    """Called directly (bypassing run_scan), each engine still asks the gate first."""
    if engine == "syn" and not syn_available():
        reason = "SYN scanning needs root (raw sockets)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    events: list[AuditEvent] = []
    gate = Gate(adhoc_scope(env={}), events.append)
    stop = EmergencyStop()
    results: list[Any] = []

    def emit(*args: Any) -> None:
        results.append(args)

    def attempt() -> None:
        if engine == "connect":
            table = PortTable(["127.0.0.1", "192.0.2.5"], [1], Outcomes())
            ConnectScan(TableScan(table, FAST, gate, stop, emit)).run()
        elif engine == "udp":
            UdpScan(["127.0.0.1", "192.0.2.5"], [9], FAST, gate, stop, emit).run()
        else:
            SynScan(["127.0.0.1", "192.0.2.5"], [1], FAST, gate, stop)

    with pytest.raises(ScopeError):
        attempt()
    assert "192.0.2.5" not in spy
    assert results == []
    assert [(e.action, e.outcome, e.targets) for e in events] == [
        ("scan.port", AuditOutcome.REFUSED, ("192.0.2.5",))
    ]


def test_gate_is_asked_at_send_time(spy: list[str]) -> None:
    """A scope narrowed after planning stops the very next probe."""

    class Narrowing(Gate):
        calls = 0

        def permit(self, address: str) -> str:
            Narrowing.calls += 1
            if Narrowing.calls > 3:
                raise ScopeError("scope.adhoc_refused", address=address, env="-")
            return super().permit(address)

    gate = Narrowing(adhoc_scope(env={}))
    table = PortTable(["127.0.0.1"], range(1, 50), Outcomes())
    with pytest.raises(ScopeError):
        ConnectScan(TableScan(table, FAST, gate, EmergencyStop())).run()
    assert len(spy) <= 2
