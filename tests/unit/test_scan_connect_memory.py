"""A connect scan's memory grows with its connections in flight, not with its targets (issue 22).

16,384 loopback addresses are connect-scanned for real (two ports nobody listens on, so
every probe is answered with a reset) through ``scan_blocking`` with a host sink and at
most 256 connections in flight, and the peak of traced memory is divided by the targets.
What a target may cost is its byte per port in the probe table (with the row's object),
its slot in the gate's set of allowed addresses and a few bytes of progress in the scan's
arrays. A scanner that keeps an object
per target (a host record with its own retry queue and round-trip estimator, a dict from
address to index) costs kilobytes per target and fails the bound.
"""

from __future__ import annotations

import gc
import socket
import tracemalloc
from ipaddress import IPv4Address

import kenshin.scan.tcp_connect  # noqa: F401  imported here: its code is not the scan's state
from kenshin.domain import HostResult
from kenshin.scan import LAB, ScanPlan, TcpMode, scan_blocking
from kenshin.scope import adhoc_scope

TARGETS = 16_384
BOUND = 240
"""Bytes per target at the peak (about 180 measured; an object per target: about 2,300):
the table row (about 70 with its object and list slot), the gate's set (about 30), the
scan's per-target arrays (about 40), the tables' fixed port index spread over the targets."""
FAST = LAB.with_changes(
    initial_timeout=0.3,
    min_timeout=0.1,
    max_timeout=0.5,
    global_concurrency=256,
    per_host_concurrency=8,
)


def _closed_ports(count: int) -> tuple[int, ...]:
    """Ports nobody listens on right now (bound briefly, then released)."""
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = tuple(sorted(s.getsockname()[1] for s in sockets))
    for s in sockets:
        s.close()
    return ports


def test_connect_scan_holds_bytes_per_target_not_objects() -> None:
    first = IPv4Address("127.1.0.0")
    ports = _closed_ports(2)
    plan = ScanPlan(
        tuple(str(first + i) for i in range(TARGETS)), ports, (), TcpMode.CONNECT, identify=False
    )
    hosts = 0

    def sink(host: HostResult) -> None:
        nonlocal hosts
        hosts += 1

    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        outcome = scan_blocking(plan, adhoc_scope(env={}), FAST, list_limit=100, hosts=sink)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert outcome.tcp_mode is TcpMode.CONNECT
    assert hosts == TARGETS
    assert outcome.counts["probed"] == len(ports) * TARGETS
    per_target = peak / TARGETS
    assert per_target < BOUND, f"{per_target:.0f} bytes per target at the peak"
