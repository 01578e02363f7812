"""A scan that hands each finished host to a sink holds none of them: memory per target
stays bounded (issue 22: 16,384 addresses without a report of 16,384 hosts in memory).

The port scan itself is replaced by one that writes every target's outcomes straight into
the engine's probe table (three open ports, the rest closed, as the benchmark's ``sweep``
host answers), so the engine's own path from the table to the hosts is what is measured.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
import weakref
from ipaddress import IPv4Address

import pytest

from kenshin.domain import HostResult, PortState, Protocol
from kenshin.scan import LAB, ScanOutcome, ScanPlan, TcpMode, run_scan, top_ports
from kenshin.scan.collect import HostSink
from kenshin.scan.tcp_connect import ConnectScan
from kenshin.scope import adhoc_scope

PORTS = top_ports(Protocol.TCP, 20)
BOUND = 320
"""Bytes per target a streamed scan may hold at its peak: the probe table's row (a byte
per port, about 80 bytes with its object), the gate's and the tables' per-target slots
(about 190 in all). A held report costs about 270 more per host (its tuple of 20 listed
ports and the ``HostResult``), about 1 KB more with the benchmark's 100 ports."""


def _answered(scan: ConnectScan) -> bool:
    """Stands in for the connect scan: every target has its first three ports open."""
    table = scan.table
    row = bytearray([table.outcomes.code(PortState.CLOSED, "reset")]) * table.width
    row[:3] = bytes([table.outcomes.code(PortState.OPEN, "syn-ack")]) * 3
    for i in range(len(table.targets)):
        table.rows[i] = bytearray(row)
    return True


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kenshin.scan.tcp_connect.ConnectScan.run", _answered)


def _plan(hosts: int) -> ScanPlan:
    first = IPv4Address("127.1.0.0")
    return ScanPlan(
        tuple(str(first + i) for i in range(hosts)), PORTS, (), TcpMode.CONNECT, identify=False
    )


def _scan(plan: ScanPlan, sink: HostSink | None) -> tuple[int, ScanOutcome]:
    """The outcome and the scan's peak of traced memory above what it started with."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        outcome = asyncio.run(run_scan(plan, adhoc_scope(env={}), LAB, list_limit=100, hosts=sink))
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak, outcome


def test_streamed_hosts_are_the_reports_hosts() -> None:
    plan = _plan(64)
    streamed: list[HostResult] = []
    _peak, outcome = _scan(plan, streamed.append)
    _peak, whole = _scan(plan, None)
    assert outcome.report.hosts == ()
    assert tuple(streamed) == whole.report.hosts
    assert len(streamed) == 64
    assert [p.port for p in streamed[5].open_ports()] == sorted(PORTS[:3])
    assert outcome.counts["open"] == whole.counts["open"] == 3 * 64


def test_memory_per_target_stays_bounded_when_hosts_stream() -> None:
    """16,384 targets streamed: each host is released once the sink has it, and the peak
    stays under ``BOUND`` bytes per target, which a held report exceeds."""
    plan = _plan(16_384)
    alive: weakref.WeakSet[HostResult] = weakref.WeakSet()
    seen = 0

    def sink(host: HostResult) -> None:
        nonlocal seen
        seen += 1
        alive.add(host)
        assert len(alive) <= 2  # the one being handed over (and the last, at most)

    streamed, outcome = _scan(plan, sink)
    assert seen == 16_384
    assert outcome.report.hosts == ()
    assert outcome.counts["open"] == 3 * 16_384
    held, whole = _scan(plan, None)
    assert len(whole.report.hosts) == 16_384
    per_target = streamed / 16_384
    assert per_target < BOUND, f"{per_target:.0f} bytes per target at the peak"
    assert held / 16_384 > BOUND  # the bound tells a streamed scan from a held report
