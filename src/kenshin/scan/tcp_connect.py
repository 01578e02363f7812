"""TCP connect scan: per-host and global limits, rate pacing, adaptive timeouts, no event loop.

The scanner is a "pump" over a private epoll set, run in threads of its own (like the SYN
scan): it keeps up to ``global_concurrency`` non-blocking connects in flight (at most
``per_host_concurrency`` per host), takes a token from the rate bucket for each, and
learns each outcome from the socket itself (``SO_ERROR``) when it turns writable, so a
probe costs five system calls (socket, connect, register, getsockopt, close). A port is
``open`` when the handshake completed (the socket is then reset at once), ``closed`` on
a reset (ECONNREFUSED), ``filtered`` on an ICMP unreachable or when no answer came after
the retries. Only unanswered probes are retried. Timeouts follow each host's measured
round-trip time (RFC 6298), clamped by the settings; when a deadline passes the kernel is
asked once more whether an answer did arrive, so a busy pump never turns an answer into
"no response".

Memory grows with the connections in flight, not with the targets: outcomes go straight
into the scan's ``PortTable`` (a byte per probe), each target's progress is a few bytes in
arrays keyed by its plan index (next port, probes in flight, round-trip estimate, a ring
of targets with work), and the only objects are the probes in flight and the retries
still due. Nothing here imports asyncio (nor, through it, the TLS libraries).
"""

from __future__ import annotations

import errno
import os
import select
import socket
import threading
import time
from array import array
from collections import deque
from dataclasses import dataclass

from kenshin.domain import PortState
from kenshin.scan.guard import (
    TableScan,
    abortive_close_option,
    all_in_threads,
    family_of,
    in_thread,
    raise_open_file_limit,
)
from kenshin.scan.pacing import TokenBucket
from kenshin.scan.settings import ScanSettings

_FILTER_ERRNOS = {
    errno.EHOSTUNREACH: "host-unreach",
    errno.ENETUNREACH: "net-unreach",
    errno.EACCES: "admin-prohibited",
    errno.EPERM: "admin-prohibited",
}
_LINGER = abortive_close_option()
_SWEEP = 0.02
"""Seconds between looks for probes whose deadline passed."""
_RETRY_BITS = 3
"""A retry due is ``port index << 3 | attempt`` (at most 5 retries)."""

THREADS = 2
"""Pumps (one per thread) a large connect scan is split over, at most one per CPU."""
_SPLIT_FROM = 20_000


@dataclass(slots=True)
class _Probe:
    sock: socket.socket
    i: int
    j: int
    attempt: int
    started: float
    deadline: float


class _Rtt:
    """RFC 6298 round-trip estimates of a group's targets, two floats each (no object each)."""

    def __init__(self, targets: int, settings: ScanSettings) -> None:
        self.srtt = array("d", [-1.0]) * targets  # below zero: no sample yet
        self.rttvar = array("d", bytes(8 * targets))
        self.initial = settings.initial_timeout
        self.minimum, self.maximum = settings.min_timeout, settings.max_timeout

    def add(self, i: int, rtt: float) -> None:
        srtt = self.srtt[i]
        if srtt < 0:
            self.srtt[i], self.rttvar[i] = rtt, rtt / 2
            return
        self.rttvar[i] = 0.75 * self.rttvar[i] + 0.25 * abs(srtt - rtt)
        self.srtt[i] = 0.875 * srtt + 0.125 * rtt

    def timeout(self, i: int) -> float:
        srtt = self.srtt[i]
        if srtt < 0:
            return self.initial
        return max(self.minimum, min(self.maximum, srtt + 4 * self.rttvar[i]))


class _Ring:
    """Target indexes waiting for their turn, each at most once, in a fixed array."""

    def __init__(self, targets: range) -> None:
        self.first = targets.start
        self.slots = array("I", targets)
        self.queued = bytearray(b"\x01") * len(targets)
        self.head = 0
        self.size = len(targets)

    def __len__(self) -> int:
        return self.size

    def pop(self) -> int:
        i = self.slots[self.head]
        self.head = (self.head + 1) % len(self.slots)
        self.size -= 1
        self.queued[i - self.first] = 0
        return i

    def push(self, i: int, front: bool = False) -> None:
        """Queue ``i`` at the back (or the front) unless it is queued already."""
        if self.queued[i - self.first]:
            return
        self.queued[i - self.first] = 1
        if front:
            self.head = (self.head - 1) % len(self.slots)
            self.slots[self.head] = i
        else:
            self.slots[(self.head + self.size) % len(self.slots)] = i
        self.size += 1


class _Pump:
    """One thread's share of one group of targets: the port indexes ``columns``."""

    def __init__(
        self,
        scan: ConnectScan,
        group: range,
        columns: range,
        limits: tuple[int, int],
        rtt: _Rtt,
    ) -> None:
        self.scan = scan
        self.group, self.columns = group, columns
        self.limit, self.per_host = limits
        self.next = array("I", bytes(4 * len(group)))  # position in columns, by target
        self.flying = array("I", bytes(4 * len(group)))
        self.rtt = rtt  # shared by the pumps of a group: a target's estimate learns from all
        self.retry: dict[int, deque[int]] = {}
        self.ring = _Ring(group)
        self.flight: dict[int, _Probe] = {}
        self.wake = 0.0  # when launching is due again (inf: when a probe concludes)
        self.epoll = select.epoll()

    # -- work of a target ---------------------------------------------------------
    def has_work(self, i: int) -> bool:
        return i in self.retry or self.next[i - self.group.start] < len(self.columns)

    def take(self, i: int) -> tuple[int, int] | None:
        """The next (port index, attempt) of target ``i`` (cells with an outcome skipped)."""
        due = self.retry.get(i)
        if due:
            packed = due.popleft()
            if not due:
                del self.retry[i]
            return packed >> _RETRY_BITS, packed & ((1 << _RETRY_BITS) - 1)
        k = i - self.group.start
        table = self.scan.table
        columns = self.columns
        while self.next[k] < len(columns):
            # each target starts at its own port (its index's): the connections in flight
            # at once spread over the ports, instead of thousands reaching one listener
            j = columns[(self.next[k] + i) % len(columns)]
            self.next[k] += 1
            if not table.get(i, j):  # an outcome from an earlier run is not probed again
                return j, 0
        return None

    # -- launching ----------------------------------------------------------------
    def launch(self) -> None:
        self.wake = float("inf")
        scan = self.scan
        ring = self.ring
        not_due: float | None = None  # the soonest a target held back by its spacing is due
        passed = 0  # targets looked at in a row without starting a probe
        busy = 0  # targets in a row at their own limit
        while len(ring) and len(self.flight) < self.limit:
            i = ring.pop()
            k = i - self.group.start
            if not self.has_work(i):
                continue
            if self.flying[k] >= self.per_host:
                ring.push(i)
                busy += 1
                if busy >= len(ring):
                    break
                continue
            busy = 0
            wait = scan.bucket.reserve()
            if wait > 0:
                scan.bucket.reserve(-1)  # give the token back; try again when it is due
                ring.push(i, front=True)
                self.wake = time.monotonic() + wait
                return
            due = scan.spacing.take(i) if scan.spacing is not None else 0.0
            if due > 0:  # this target had its share for now: the others may go first
                scan.bucket.reserve(-1)
                ring.push(i)
                not_due = due if not_due is None else min(not_due, due)
                passed += 1
                if passed >= len(ring):
                    self.wake = time.monotonic() + not_due
                    return
                continue
            passed = 0
            work = self.take(i)
            if work is not None:
                self._start(i, *work)
            if self.has_work(i):
                ring.push(i)

    def _start(self, i: int, j: int, attempt: int) -> None:
        scan = self.scan
        address = scan.table.targets[i]
        scan.gate.permit(address)
        sock = socket.socket(family_of(address), socket.SOCK_STREAM)
        sock.setblocking(False)
        started = time.monotonic()
        code = sock.connect_ex((address, scan.table.ports[j]))
        k = i - self.group.start
        self.flying[k] += 1
        probe = _Probe(sock, i, j, attempt, started, started + self.rtt.timeout(k))
        if code in (errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
            fd = sock.fileno()
            self.flight[fd] = probe
            self.epoll.register(fd, select.EPOLLOUT)
        else:
            self._conclude(probe, code, answered=True)

    # -- outcomes -----------------------------------------------------------------
    def events(self, timeout: float) -> None:
        """Conclude every probe whose connect finished (waiting up to ``timeout``)."""
        try:
            ready = self.epoll.poll(timeout, 4096)
        except InterruptedError:
            return
        for fd, _mask in ready:
            probe = self.flight.pop(fd, None)
            if probe is None:
                continue
            code = probe.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            self._conclude(probe, code, answered=True)
        if ready:
            self.wake = 0.0

    def _conclude(self, probe: _Probe, code: int, answered: bool) -> None:
        i, k = probe.i, probe.i - self.group.start
        self.flying[k] -= 1
        if code == errno.ECONNRESET and answered:
            # A RST answering the SYN is ECONNREFUSED; a reset can only follow the SYN-ACK,
            # so the port accepted and the service reset before this probe was looked at.
            code = 0
        if code == 0 and answered and _self_connected(probe.sock):
            code, answered = errno.ETIMEDOUT, False  # loopback self-connect: no verdict, retry
        if code == 0 and answered:
            probe.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER)  # RST, no TIME_WAIT
        probe.sock.close()
        scan = self.scan
        if answered and (code in (0, errno.ECONNREFUSED) or code in _FILTER_ERRNOS):
            scan.bucket.observe(answered=1, dropped=1 if probe.attempt else 0)
        if code == 0 and answered:
            self.rtt.add(k, time.monotonic() - probe.started)
            scan.record(i, probe.j, PortState.OPEN, "syn-ack")
        elif code == errno.ECONNREFUSED:
            self.rtt.add(k, time.monotonic() - probe.started)
            scan.record(i, probe.j, PortState.CLOSED, "conn-refused")
        elif code in _FILTER_ERRNOS:
            scan.record(i, probe.j, PortState.FILTERED, _FILTER_ERRNOS[code])
        elif probe.attempt < scan.settings.retries:
            self.retry.setdefault(i, deque()).append(probe.j << _RETRY_BITS | (probe.attempt + 1))
            self.ring.push(i)
        else:
            scan.record(i, probe.j, PortState.FILTERED, "no-response")

    def sweep(self) -> None:
        """Conclude probes whose deadline passed, asking the kernel one last time."""
        now = time.monotonic()
        expired = [fd for fd, probe in self.flight.items() if probe.deadline <= now]
        for fd in expired:
            probe = self.flight.pop(fd)
            code = probe.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code == 0:
                try:
                    probe.sock.getpeername()
                except OSError:
                    self._conclude(probe, errno.ETIMEDOUT, answered=False)
                    continue
            self._conclude(probe, code, answered=True)
        if expired:
            self.wake = 0.0

    # -- the loop -----------------------------------------------------------------
    def run(self) -> bool:
        """Pump until every probe concluded; False when stopped (or another pump failed)."""
        halted = self.scan.halted
        next_sweep = time.monotonic() + _SWEEP
        try:
            while True:
                if halted():
                    return False
                now = time.monotonic()
                if now >= self.wake:
                    self.launch()
                if not self.flight and not len(self.ring):
                    return True
                self.events(max(0.0, min(self.wake, next_sweep) - time.monotonic()))
                if time.monotonic() >= next_sweep:
                    self.sweep()
                    next_sweep = time.monotonic() + _SWEEP
        finally:
            for probe in self.flight.values():
                probe.sock.close()
            self.flight.clear()
            self.epoll.close()


def _self_connected(sock: socket.socket) -> bool:
    """True for Linux's loopback "simultaneous open" with itself (source = destination)."""
    try:
        return bool(sock.getsockname() == sock.getpeername())
    except OSError:
        return False


class ConnectScan:
    """A connect scan of ``job`` (see ``TableScan``), ready to ``run()``.

    The bucket is told what came back, so an ``AdaptiveRate`` can follow the network.
    Every target is put to the gate here, before any packet. A large scan is split by port
    over ``THREADS`` pumps in their own threads (socket, connect and close release the
    GIL, so a second core takes the kernel's share); they share the rate bucket and the
    gate, split the concurrency limits, and write disjoint cells of the table. Targets are
    worked through in the table's groups (sealed after each when the plan is large), one
    probe per target in turn, each target starting at a different port (so the
    connections in flight spread over the ports rather than queue at one listener).
    """

    def __init__(self, job: TableScan) -> None:
        table, gate = job.table, job.gate
        for address in table.targets:
            gate.permit(address)  # refuse before any packet, not half-way through
        self.table, self.settings, self.gate, self.stop = table, job.settings, gate, job.stop
        self.notify = job.notify
        self.bucket = job.bucket if job.bucket is not None else TokenBucket(job.settings.rate)
        self.spacing = job.spacing
        self._abort = threading.Event()

    def halted(self) -> bool:
        return self._abort.is_set() or self.stop.is_set()

    def record(self, i: int, j: int, state: PortState, reason: str) -> None:
        table = self.table
        if table.set(i, j, table.outcomes.code(state, reason)) and self.notify is not None:
            self.notify(i, j)

    async def in_thread(self) -> bool:
        """``run`` in a thread, so an event loop keeps serving; cancelling it stops the scan."""
        return await in_thread(self.run, self._abort)

    def run(self) -> bool:
        """Scan; returns False when the emergency stop cut it short."""
        settings = self.settings
        available = raise_open_file_limit(settings.global_concurrency + 1024)
        limit = max(1, min(settings.global_concurrency, available - 256))
        width = self.table.width
        parts = max(1, min(THREADS, os.cpu_count() or 1))
        if (
            len(self.table.targets) * width < _SPLIT_FROM
            or settings.per_host_concurrency < 2
            or width < 2
        ):
            parts = 1
        limits = (max(1, limit // parts), max(1, settings.per_host_concurrency // parts))
        try:
            for group in self.table.groups():
                rtt = _Rtt(len(group), settings)
                pumps = [
                    _Pump(self, group, range(k, width, parts), limits, rtt) for k in range(parts)
                ]
                if not self._run_pumps(pumps):
                    return False
                if self.table.grouped:
                    self.table.seal(group)
        except BaseException:
            self._abort.set()
            raise
        return True

    def _run_pumps(self, pumps: list[_Pump]) -> bool:
        if len(pumps) == 1:
            return pumps[0].run()
        # one failing pump stops the others too
        return all_in_threads([p.run for p in pumps], "kenshin-connect", self._abort.set)
