"""Compact scan state: a byte per probe, sealed sparsely, and memory that does not grow per port.

Memory is measured with tracemalloc on the planning and state structures themselves
(no timing, no packets: the SYN scan's constructor opens no raw socket).
"""

from __future__ import annotations

import asyncio
import socket
import tracemalloc
from array import array
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from kenshin.domain import PortResult, PortState, Protocol
from kenshin.scan import LAB, EmergencyStop, ScanPlan, TcpMode, run_scan, syn_available
from kenshin.scan.state import WINDOW_CELLS, AddressIndex, Outcomes, PortTable
from kenshin.scan.tcp_syn import SynScan
from kenshin.scope import Gate, adhoc_scope

ALL_PORTS = tuple(range(1, 65536))
TARGETS = tuple(str(a) for a in IPv4Network("127.64.0.0/18"))  # loopback: 16,384 addresses


def test_table_records_once_and_reads_back_in_port_order() -> None:
    outcomes = Outcomes()
    table = PortTable(("127.0.0.1", "127.0.0.2"), (443, 22, 80), outcomes)
    open_ = outcomes.code(PortState.OPEN, "syn-ack")
    closed = outcomes.code(PortState.CLOSED, "reset")
    assert table.port_index(80) == 2
    assert table.port_index(8080) == -1
    assert table.set(0, 2, open_)
    assert not table.set(0, 2, closed)  # the first outcome stays
    assert table.set(0, 0, closed)
    assert table.results(0) == [(443, PortState.CLOSED, "reset"), (80, PortState.OPEN, "syn-ack")]
    assert table.results(1) == []
    assert table.count() == 2
    assert table.count([open_]) == 1


def test_a_sealed_row_keeps_every_outcome_in_a_fraction_of_the_space() -> None:
    outcomes = Outcomes()
    table = PortTable(("127.0.0.1",), ALL_PORTS, outcomes)
    closed = outcomes.code(PortState.CLOSED, "reset")
    open_ = outcomes.code(PortState.OPEN, "syn-ack")
    silent = outcomes.code(PortState.FILTERED, "no-response")
    row = table.row(0)
    row[:] = bytes([closed]) * len(ALL_PORTS)
    row[21] = row[442] = open_
    row[65534] = silent
    before = table.results(0)
    table.seal(range(1))
    sealed = table.rows[0]
    assert not isinstance(sealed, bytearray)
    assert sealed is not None
    assert len(sealed.indexes) == 3
    assert table.results(0) == before
    assert table.get(0, 21) == open_
    assert table.get(0, 100) == closed
    assert table.count([open_]) == 2
    assert table.count() == len(ALL_PORTS)


def test_groups_bound_the_cells_in_flight() -> None:
    table = PortTable(TARGETS, ALL_PORTS, Outcomes())
    groups = list(table.groups())
    assert table.grouped
    assert sum(len(g) for g in groups) == len(TARGETS)
    assert all(len(g) * len(ALL_PORTS) <= WINDOW_CELLS for g in groups)
    small = PortTable(TARGETS, ALL_PORTS[:100], Outcomes())
    assert not small.grouped
    assert [len(g) for g in small.groups()] == [len(TARGETS)]


def test_planning_16384_targets_of_all_ports_costs_bytes_per_target_not_a_port_table() -> None:
    """The issue's bound: no per-target 65,536-entry tables when the plan is planned."""
    tracemalloc.start()
    try:
        table = PortTable(TARGETS, ALL_PORTS, Outcomes())
        scan = SynScan(
            TARGETS,
            ALL_PORTS,
            LAB,
            Gate(adhoc_scope(env={})),
            EmergencyStop(),
            table=table,
            source_for=lambda _address: "127.0.0.1",
        )
        planned, _peak = tracemalloc.get_traced_memory()
        per_target = planned / len(TARGETS)
        # Arrays of a few machine words per target, one dict entry for matching replies,
        # and the port index (128 KiB once): far below even 1 KiB per target, while one
        # 65,536-entry table per target would be 64 KiB each (1 GiB for the plan).
        assert per_target < 400, per_target
        # Outcomes for one group: dense rows for that group only, sealed when finished.
        closed = table.outcomes.code(PortState.CLOSED, "reset")
        first = next(table.groups())
        for i in first:
            table.row(i)[:] = bytes([closed]) * table.width
        table.seal(first)
        after, peak = tracemalloc.get_traced_memory()
        assert after - planned < len(first) * 300  # a sealed row: a few hundred bytes at most
        assert peak - planned < WINDOW_CELLS * 1.2  # never more than one window of dense rows
    finally:
        tracemalloc.stop()
    assert scan.table is table
    scan._reserve.close()


def test_outcome_codes_are_shared_and_bounded() -> None:
    outcomes = Outcomes()
    first = outcomes.code(PortState.FILTERED, "admin-prohibited")
    assert outcomes.code(PortState.FILTERED, "admin-prohibited") == first
    codes = {outcomes.code(PortState.FILTERED, f"icmp-3-{n}") for n in range(300)}
    assert max(codes) <= 255
    assert outcomes.pairs[max(codes)] == (PortState.FILTERED, "other")


class _Told:
    """A listener that keeps what it is told."""

    def __init__(self) -> None:
        self.ports: list[tuple[str, int, PortState]] = []

    def planned(self, hosts: int, probes: int) -> None:
        return None

    def port(
        self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None:
        self.ports.append((address, port, state))

    def identified(self, address: str, result: PortResult) -> None:
        return None


def test_syn_scan_tells_the_listener_each_outcome_once_and_skips_resumed_ports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not syn_available():
        pytest.skip("SYN scanning needs root (raw sockets)")
    monkeypatch.setenv("KENSHIN_STOP_FILE", str(tmp_path / "stop"))
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    open_port = server.getsockname()[1]
    try:
        ports = tuple(sorted({open_port, *range(open_port + 1, open_port + 40)} - {65536}))
        plan = ScanPlan(("127.0.0.1", "127.0.0.2"), ports, (), TcpMode.SYN, identify=False)
        fast = LAB.with_changes(initial_timeout=0.3, min_timeout=0.1, max_timeout=0.5)
        told = _Told()
        kept = {
            ("127.0.0.2", Protocol.TCP, ports[-1]): PortResult(
                Protocol.TCP, ports[-1], PortState.FILTERED, "admin-prohibited"
            )
        }
        outcome = asyncio.run(
            run_scan(plan, adhoc_scope(env={}), fast, listener=told, previous=kept)
        )
    finally:
        server.close()
    assert len(told.ports) == len(set(told.ports)) == 2 * len(ports) - 1
    assert ("127.0.0.1", open_port, PortState.OPEN) in told.ports
    assert outcome.counts == {
        "probed": 2 * len(ports) - 1,
        "open": 1 + (("127.0.0.2", open_port, PortState.OPEN) in told.ports),
        "seconds": outcome.counts["seconds"],
    }
    second = outcome.report.hosts[1]
    assert second.address == "127.0.0.2"
    resumed = [p for p in second.ports if p.port == ports[-1]]
    assert [(p.state, p.reason) for p in resumed] == [(PortState.FILTERED, "admin-prohibited")]
    reported = {(h.address, p.port, p.state) for h in outcome.report.hosts for p in h.ports}
    assert set(told.ports) <= reported


@pytest.mark.parametrize(
    "addresses",
    [
        ("198.18.0.5", "198.18.0.6", "198.18.0.7"),  # a block: found by subtraction
        ("198.18.0.9", "", "198.18.0.1", "198.19.255.255"),  # any order, one without a route
    ],
)
def test_address_index_finds_each_target_and_nothing_else(addresses: tuple[str, ...]) -> None:
    """The SYN receiver's reply lookup: each routed target's plan index, None for the rest."""
    values = array("I", (int.from_bytes(socket.inet_aton(a), "big") if a else 0 for a in addresses))
    index = AddressIndex(values)
    for i, address in enumerate(addresses):
        if address:
            assert index.get(socket.inet_aton(address)) == i
    for stranger in ("198.18.0.4", "198.18.0.8", "198.18.0.2", "0.0.0.0"):
        assert index.get(socket.inet_aton(stranger)) is None
