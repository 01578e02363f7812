"""TCP connect scan on asyncio: per-host and global limits, rate pacing, adaptive timeouts.

The scanner is a callback "pump" on the event loop rather than one task per probe:
it keeps up to ``global_concurrency`` non-blocking connects in flight (at most
``per_host_concurrency`` per host), takes a token from the rate bucket for each, and
learns each outcome from the socket itself (``SO_ERROR``) when it turns writable. The
probe sockets sit in a private epoll set whose descriptor the event loop watches, so a
probe costs five system calls (socket, connect, register, getsockopt, close) and no
event-loop handles. A port is ``open`` when the handshake completed (the socket is then reset
at once), ``closed`` on a reset (ECONNREFUSED), ``filtered`` on an ICMP unreachable
or when no answer came after the retries. Only unanswered probes are retried.
Timeouts follow each host's measured round-trip time (RFC 6298), clamped by the
settings; when a deadline passes the kernel is asked once more whether an answer
did arrive, so a busy event loop never turns an answer into "no response".
"""

from __future__ import annotations

import asyncio
import errno
import os
import queue
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

from kenshin.domain import PortState, Protocol
from kenshin.scan.guard import (
    ResultSink,
    abortive_close_option,
    family_of,
    raise_open_file_limit,
)
from kenshin.scan.pacing import EmergencyStop, RttEstimator, TargetPacing, TokenBucket
from kenshin.scan.settings import ScanSettings
from kenshin.scope import Gate

_FILTER_ERRNOS = {
    errno.EHOSTUNREACH: "host-unreach",
    errno.ENETUNREACH: "net-unreach",
    errno.EACCES: "admin-prohibited",
    errno.EPERM: "admin-prohibited",
}
_LINGER = abortive_close_option()


@dataclass(slots=True)
class _Host:
    """One target's progress; its port list is shared with the other targets (read only)."""

    address: str
    family: socket.AddressFamily
    ports: list[int]
    rtt: RttEstimator
    index: int = 0
    """The target's place in the plan (its ``TargetPacing`` slot)."""
    next_index: int = 0
    retry: deque[tuple[int, int]] = field(default_factory=deque)
    in_flight: int = 0

    def has_work(self) -> bool:
        return self.next_index < len(self.ports) or bool(self.retry)

    def take(self) -> tuple[int, int]:
        if self.retry:
            return self.retry.popleft()
        port = self.ports[self.next_index]
        self.next_index += 1
        return port, 0


@dataclass
class _Probe:
    sock: socket.socket
    host: _Host
    port: int
    attempt: int
    started: float
    deadline: float


@dataclass(frozen=True)
class _Shared:
    """What every part (event loop) of one connect scan shares."""

    gate: Gate
    stop: EmergencyStop
    bucket: TokenBucket
    spacing: TargetPacing | None
    skip: Collection[tuple[str, int]]


class _Pump:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        hosts: list[_Host],
        settings: ScanSettings,
        emit: ResultSink,
        total_limit: int,
        shared: _Shared,
    ) -> None:
        self.loop = loop
        self.settings = settings
        self.emit = emit
        self.total_limit = total_limit
        self.shared = shared
        self.ready: deque[_Host] = deque(h for h in hosts if h.has_work())
        self.flight: dict[int, _Probe] = {}
        self.done: asyncio.Future[None] = loop.create_future()
        self.launch_scheduled = False
        self.error: BaseException | None = None
        self.epoll = select.epoll()
        loop.add_reader(self.epoll.fileno(), self.events)

    def close(self) -> None:
        """Close every probe socket and the epoll set (idempotent)."""
        for probe in self.flight.values():
            probe.sock.close()
        self.flight.clear()
        if not self.epoll.closed:
            self.loop.remove_reader(self.epoll.fileno())
            self.epoll.close()

    # -- launching ----------------------------------------------------------------
    def launch(self) -> None:
        self.launch_scheduled = False
        try:
            self._launch()
        except BaseException as exc:  # a gate refusal or a socket failure ends the scan
            self._fail(exc)

    def _launch(self) -> None:
        if self.shared.stop.is_set():
            self._finish_if_idle(force=True)
            return
        not_due: float | None = None  # the soonest a target held back by its spacing is due
        passed = 0  # hosts looked at in a row without starting a probe
        while self.ready and len(self.flight) < self.total_limit:
            if self.shared.stop.is_set():
                self._finish_if_idle(force=True)
                return
            host = self.ready.popleft()
            if host.in_flight >= self.settings.per_host_concurrency or not host.has_work():
                if host.has_work():
                    self.ready.append(host)
                    if all(h.in_flight >= self.settings.per_host_concurrency for h in self.ready):
                        break
                continue
            wait = self.shared.bucket.reserve()
            if wait > 0:
                self.shared.bucket.reserve(-1)  # give the token back; try again when it is due
                self.ready.appendleft(host)
                self._schedule_launch(wait)
                return
            spacing = self.shared.spacing
            due = spacing.take(host.index) if spacing is not None else 0.0
            if due > 0:  # this target had its share for now: the others may go first
                self.shared.bucket.reserve(-1)
                self.ready.append(host)
                not_due = due if not_due is None else min(not_due, due)
                passed += 1
                if passed >= len(self.ready):
                    self._schedule_launch(not_due)
                    return
                continue
            passed = 0
            port, attempt = host.take()
            self._start(host, port, attempt)
            if host.has_work():
                self.ready.append(host)
        self._finish_if_idle()

    def _schedule_launch(self, delay: float) -> None:
        if not self.launch_scheduled:
            self.launch_scheduled = True
            self.loop.call_later(delay, self.launch)

    def _start(self, host: _Host, port: int, attempt: int) -> None:
        self.shared.gate.permit(host.address)
        sock = socket.socket(host.family, socket.SOCK_STREAM)
        sock.setblocking(False)
        started = time.monotonic()
        code = sock.connect_ex((host.address, port))
        host.in_flight += 1
        probe = _Probe(sock, host, port, attempt, started, started + host.rtt.timeout)
        if code in (errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
            fd = sock.fileno()
            self.flight[fd] = probe
            self.epoll.register(fd, select.EPOLLOUT)
        else:
            self._conclude(probe, code, answered=True)

    # -- outcomes -----------------------------------------------------------------
    def events(self) -> None:
        """The epoll set is readable: conclude every probe whose connect finished."""
        try:
            ready = self.epoll.poll(0, 4096)
        except OSError:
            return
        for fd, _mask in ready:
            probe = self.flight.pop(fd, None)
            if probe is None:
                continue
            code = probe.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            self._conclude(probe, code, answered=True)
        if ready:
            self._schedule_launch(0)

    def _conclude(self, probe: _Probe, code: int, answered: bool) -> None:
        host = probe.host
        host.in_flight -= 1
        if code == errno.ECONNRESET and answered:
            # A RST answering the SYN is ECONNREFUSED; a reset can only follow the SYN-ACK,
            # so the port accepted and the service reset before this probe was looked at.
            code = 0
        if code == 0 and answered and _self_connected(probe.sock):
            code, answered = errno.ETIMEDOUT, False  # loopback self-connect: no verdict, retry
        if code == 0 and answered:
            probe.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER)  # RST, no TIME_WAIT
        probe.sock.close()
        if answered and (code in (0, errno.ECONNREFUSED) or code in _FILTER_ERRNOS):
            self.shared.bucket.observe(answered=1, dropped=1 if probe.attempt else 0)
        if code == 0 and answered:
            host.rtt.add(time.monotonic() - probe.started)
            self.emit(host.address, Protocol.TCP, probe.port, PortState.OPEN, "syn-ack")
        elif code == errno.ECONNREFUSED:
            host.rtt.add(time.monotonic() - probe.started)
            self.emit(host.address, Protocol.TCP, probe.port, PortState.CLOSED, "conn-refused")
        elif code in _FILTER_ERRNOS:
            self.emit(
                host.address, Protocol.TCP, probe.port, PortState.FILTERED, _FILTER_ERRNOS[code]
            )
        elif probe.attempt < self.settings.retries:
            host.retry.append((probe.port, probe.attempt + 1))
            if host not in self.ready:
                self.ready.append(host)
        else:
            self.emit(host.address, Protocol.TCP, probe.port, PortState.FILTERED, "no-response")

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
            self.launch()

    def _finish_if_idle(self, force: bool = False) -> None:
        if self.done.done():
            return
        if force:
            for probe in self.flight.values():
                probe.sock.close()
            self.flight.clear()
            self.done.set_result(None)
            return
        if not self.flight and not any(h.has_work() for h in self.ready):
            self.done.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        for probe in self.flight.values():
            probe.sock.close()
        self.flight.clear()
        if not self.done.done():
            self.done.set_exception(exc)


def _self_connected(sock: socket.socket) -> bool:
    """True for Linux's loopback "simultaneous open" with itself (source = destination)."""
    try:
        return bool(sock.getsockname() == sock.getpeername())
    except OSError:
        return False


THREADS = 2
"""Event loops (one per thread) a large connect scan is split over, at most one per CPU."""
_SPLIT_FROM = 20_000


async def _scan_part(
    targets: Sequence[str],
    ports: Sequence[int],
    settings: ScanSettings,
    emit: ResultSink,
    total_limit: int,
    shared: _Shared,
) -> None:
    loop = asyncio.get_running_loop()
    skip = shared.skip
    every = list(ports)  # one port list for every host that has nothing to skip
    hosts = [
        _Host(
            address,
            family_of(address),
            [p for p in ports if (address, p) not in skip] if skip else every,
            RttEstimator(settings.initial_timeout, settings.min_timeout, settings.max_timeout),
            index,
        )
        for index, address in enumerate(targets)
    ]
    pump = _Pump(loop, hosts, settings, emit, total_limit, shared)
    pump.launch()
    try:
        while not pump.done.done():
            await asyncio.wait({pump.done}, timeout=0.02)
            if pump.done.done():
                break
            if pump.shared.stop.is_set():
                pump._finish_if_idle(force=True)
                break
            pump.sweep()
        await pump.done
    finally:
        if not pump.done.done():
            pump._fail(asyncio.CancelledError())
        pump.close()


async def tcp_connect_scan(
    targets: Sequence[str],
    ports: Sequence[int],
    settings: ScanSettings,
    gate: Gate,
    stop: EmergencyStop,
    emit: ResultSink,
    skip: Collection[tuple[str, int]] = frozenset(),
    bucket: TokenBucket | None = None,
    spacing: TargetPacing | None = None,
) -> None:
    """Probe every ``(target, port)`` not in ``skip`` and report each through ``emit``.

    ``bucket`` paces the probes (default: a plain bucket at ``settings.rate``); it is
    told what came back, so an ``AdaptiveRate`` can follow the network. ``spacing``
    paces the probes to each target (by its index in ``targets``).

    A large scan is split by port over ``THREADS`` event loops in their own threads
    (socket, connect and close release the GIL, so a second core takes the kernel's
    share); they share the rate bucket and the gate, split the concurrency limits, and
    hand their results to this loop, where ``emit`` is always called.
    """
    available = raise_open_file_limit(settings.global_concurrency + 1024)
    total_limit = max(1, min(settings.global_concurrency, available - 256))
    for address in targets:
        gate.permit(address)  # refuse before any packet, not half-way through
    shared = _Shared(
        gate, stop, bucket if bucket is not None else TokenBucket(settings.rate), spacing, skip
    )
    parts = max(1, min(THREADS, os.cpu_count() or 1))
    if parts == 1 or len(targets) * len(ports) < _SPLIT_FROM or settings.per_host_concurrency < 2:
        await _scan_part(targets, ports, settings, emit, total_limit, shared)
        return
    share = replace(
        settings,
        global_concurrency=max(1, settings.global_concurrency // parts),
        per_host_concurrency=max(1, settings.per_host_concurrency // parts),
    )
    results: queue.SimpleQueue[tuple[str, Protocol, int, PortState, str]] = queue.SimpleQueue()
    errors: list[BaseException] = []

    def hand_over(
        address: str, protocol: Protocol, port: int, state: PortState, reason: str
    ) -> None:
        results.put((address, protocol, port, state, reason))

    def work(part: int) -> None:
        try:
            limit = max(1, total_limit // parts)
            asyncio.run(_scan_part(targets, ports[part::parts], share, hand_over, limit, shared))
        except BaseException as exc:
            errors.append(exc)
            stop.trigger()

    threads = [
        threading.Thread(target=work, args=(k,), name=f"kenshin-connect{k}", daemon=True)
        for k in range(parts)
    ]
    for thread in threads:
        thread.start()

    def drain() -> None:
        while True:
            try:
                item = results.get_nowait()
            except queue.Empty:
                return
            emit(*item)

    try:
        while any(t.is_alive() for t in threads):
            drain()
            await asyncio.sleep(0.05)
    except BaseException:
        stop.trigger()
        raise
    finally:
        for thread in threads:
            thread.join(timeout=5)
        drain()
    if errors:
        raise errors[0]
