"""A scan's outcomes while it runs, and the finished hosts made from them.

The scan's own state is a byte per probe (``kenshin.scan.state``). A ``HostResult`` is
made only when the host is finished, and ``finished_hosts`` yields them one at a time:
a caller that hands each to a ``HostSink`` (as nmap writes its XML as it goes) holds one
host at a time instead of the whole report, so its memory grows with the probes, not
with the hosts.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING
from typing import Protocol as TypingProtocol

from kenshin.domain import HostResult, PortCount, PortResult, PortState, Protocol
from kenshin.scan.state import Outcomes, PortTable

if TYPE_CHECKING:
    from kenshin.scan.engine import ScanPlan

PortKey = tuple[str, Protocol, int]
HostSink = Callable[[HostResult], None]
"""Takes each finished host's result as soon as it is made (and may let it go)."""


class ScanListener(TypingProtocol):
    """Told about every result as it appears (storage, progress display)."""

    def planned(self, hosts: int, probes: int) -> None: ...

    def port(
        self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None: ...

    def identified(self, address: str, result: PortResult) -> None: ...


class Collector:
    """Every probed port's outcome, kept in one compact ``PortTable`` per protocol.

    Scans write outcomes by (target index, port index); ``note`` queues a new outcome
    for the listener (from any thread) and ``drain`` hands the queue to the listener
    on the event loop, so storage and progress see each port as it is found while the
    scan's own state stays a byte per probe (see ``kenshin.scan.state``).
    """

    def __init__(self, plan: ScanPlan, listener: ScanListener | None) -> None:
        self.listener = listener
        self.outcomes = Outcomes()
        self.tables = {
            Protocol.TCP: PortTable(plan.targets, plan.tcp_ports, self.outcomes),
            Protocol.UDP: PortTable(plan.targets, plan.udp_ports, self.outcomes),
        }
        self._index: dict[str, int] | None = None
        self.extra: dict[tuple[int, Protocol], dict[int, int]] = {}
        self._pending: queue.SimpleQueue[tuple[Protocol, int, int]] = queue.SimpleQueue()

    def index(self, address: str) -> int:
        """The plan index of ``address`` (-1 if the plan does not hold it)."""
        if self._index is None:
            self._index = {a: i for i, a in enumerate(self.tables[Protocol.TCP].targets)}
        return self._index.get(address, -1)

    def put(
        self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None:
        """An outcome from an earlier run (resume): kept, not probed again, not counted."""
        i = self.index(address)
        if i < 0:
            return
        table = self.tables[protocol]
        code = self.outcomes.code(state, reason)
        j = table.port_index(port)
        if j < 0:
            self.extra.setdefault((i, protocol), {})[port] = code
        elif table.set(i, j, code):
            table.prefilled += 1
            table.prefilled_open += state is PortState.OPEN

    def note(self, protocol: Protocol, i: int, j: int) -> None:
        if self.listener is not None:
            self._pending.put((protocol, i, j))

    def tcp_note(self, i: int, j: int) -> None:
        self.note(Protocol.TCP, i, j)

    def drain(self) -> None:
        """Tell the listener about every outcome noted since the last drain."""
        listener = self.listener
        if listener is None:
            return
        pairs = self.outcomes.pairs
        while True:
            try:
                protocol, i, j = self._pending.get_nowait()
            except queue.Empty:
                return
            table = self.tables[protocol]
            state, reason = pairs[table.get(i, j)]
            listener.port(table.targets[i], protocol, table.ports[j], state, reason)

    def __call__(
        self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None:
        """A ``ResultSink`` for a scan that reports by address (UDP), from any thread:
        the outcome is stored at once and the listener hears of it at the next ``drain``."""
        i = self.index(address)
        table = self.tables[protocol]
        j = table.port_index(port)
        if i >= 0 and j >= 0 and table.set(i, j, self.outcomes.code(state, reason)):
            self.note(protocol, i, j)

    @property
    def counts(self) -> dict[str, int]:
        """Probes with an outcome in this run, and how many of them were open."""
        opened = self.outcomes.open_codes()
        probed = sum(t.count() - t.prefilled for t in self.tables.values())
        found = sum(t.count(opened) - t.prefilled_open for t in self.tables.values())
        return {"probed": probed, "open": found}

    def results(self, i: int, protocol: Protocol) -> list[tuple[int, PortState, str]]:
        """``(port, state, reason)`` of every probed port of target ``i``, in port order."""
        rows = self.tables[protocol].results(i)
        extra = self.extra.get((i, protocol))
        if extra:
            pairs = self.outcomes.pairs
            rows += [(port, *pairs[code]) for port, code in extra.items()]
        rows.sort()
        return rows


def finished_hosts(
    targets: Sequence[str],
    found: Collector,
    identities: Mapping[PortKey, PortResult],
    list_limit: int | None,
) -> Iterator[HostResult]:
    """Each target's result in plan order, made when asked for (nothing is kept between).

    With ``list_limit``, groups larger than it are counted, not listed. Open ports,
    identified ports and ``open|filtered`` ports are always listed. A ``PortResult`` is
    immutable, so hosts with the same outcome on a port share one object: 16,384
    addresses need a few hundred of them, not 1.6 million.
    """
    same: dict[tuple[Protocol, int, PortState, str], PortResult] = {}
    for i, address in enumerate(targets):
        ports: list[PortResult] = []
        extra: list[PortCount] = []
        for protocol in Protocol:
            rows = found.results(i, protocol)
            groups: dict[tuple[PortState, str], int] = {}
            if list_limit is not None:
                for _port, state, reason in rows:
                    groups[(state, reason)] = groups.get((state, reason), 0) + 1
            counted = {
                key
                for key, count in groups.items()
                if count > (list_limit or 0)
                and key[0] not in (PortState.OPEN, PortState.OPEN_FILTERED)
            }
            for port, state, reason in rows:
                identified = identities.get((address, protocol, port))
                if identified is not None:
                    ports.append(identified)
                elif (state, reason) in counted:
                    continue
                else:
                    key = (protocol, port, state, reason)
                    shared = same.get(key)
                    if shared is None:
                        shared = same[key] = PortResult(protocol, port, state, reason)
                    ports.append(shared)
            for state, reason in sorted(counted):
                listed = sum(
                    1
                    for p in ports
                    if p.protocol is protocol and p.state is state and p.reason == reason
                )
                extra.append(PortCount(protocol, state, reason, groups[(state, reason)] - listed))
        yield HostResult(address, tuple(ports), (), tuple(e for e in extra if e.count))
