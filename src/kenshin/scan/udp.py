"""UDP scan: protocol payloads sent paced, replies and ICMP errors collected asynchronously.

Each probe uses its own connected UDP socket, so the kernel delivers both the reply
and any ICMP error for exactly that (address, port) to it: data means ``open``,
ECONNREFUSED (ICMP port unreachable) ``closed``, other unreachables ``filtered``.

Linux and most routers rate-limit ICMP errors (by default about one per second per
peer after a burst of six), so silence from a port does not mean it is open. Instead
of waiting that limit out port by port (as classic scanners do), every probe is sent
at the paced rate, errors are collected as they come, silent ports are probed once
more, and what stays silent is reported honestly as ``open|filtered`` with the reason
``no-response``; ``UdpSummary`` counts those ports so the result says how many could
not be told apart.

The scan runs in the calling thread without an event loop (like the connect scan): an
epoll set over the probes in flight, at most ``global_concurrency`` of them (a counter),
paced by the same token bucket and per-target spacing, polling for answers while it
waits for either. Targets x ports are walked in place, one byte of state per probe.
"""

from __future__ import annotations

import errno
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from kenshin.domain import PortState, Protocol
from kenshin.scan.guard import ResultSink, family_of, in_thread, raise_open_file_limit
from kenshin.scan.pacing import EmergencyStop, TargetPacing, TokenBucket
from kenshin.scan.settings import ScanSettings
from kenshin.scope import Gate

_FILTER_ERRNOS = {
    errno.EHOSTUNREACH: "host-unreach",
    errno.ENETUNREACH: "net-unreach",
    errno.EACCES: "admin-prohibited",
    errno.EPERM: "admin-prohibited",
    errno.ENOPROTOOPT: "proto-unreach",
}


@dataclass(frozen=True)
class UdpPayload:
    name: str
    ports: tuple[int, ...]
    data: bytes
    source: str
    reply_from_any_port: bool = False


@cache
def udp_payloads() -> tuple[UdpPayload, ...]:
    """The payload table (``data/scan/udp-payloads.yaml``)."""
    text = (resources.files("kenshin") / "data" / "scan" / "udp-payloads.yaml").read_text("utf-8")
    loaded = yaml.safe_load(text)
    payloads = []
    for item in loaded["payloads"]:
        if "hex" in item:
            data = bytes.fromhex(str(item["hex"]))
        else:
            data = str(item["text"]).encode("utf-8")
        payloads.append(
            UdpPayload(
                str(item["name"]),
                tuple(int(p) for p in item["ports"]),
                data,
                item["source"],
                bool(item.get("reply_from_any_port", False)),
            )
        )
    return tuple(payloads)


@cache
def payloads_for(port: int) -> tuple[bytes, ...]:
    """The datagrams to send to ``port``: its protocol payloads, else one empty datagram."""
    found = tuple(p.data for p in udp_payloads() if port in p.ports)
    return found or (b"",)


@cache
def reply_from_any_port(port: int) -> bool:
    """True when the protocol on ``port`` answers from another port (TFTP)."""
    return any(p.reply_from_any_port for p in udp_payloads() if port in p.ports)


_IP_RECVERR = 11
_IPV6_RECVERR = 25


@dataclass
class UdpSummary:
    """What the UDP pass could and could not tell."""

    probes_sent: int = 0
    replies: int = 0
    port_unreachables: int = 0
    other_unreachables: int = 0
    silent: dict[str, list[int]] = field(default_factory=dict)

    @property
    def undetermined(self) -> int:
        return sum(len(v) for v in self.silent.values())


_ANSWERED = 1
_SKIPPED = 2


class UdpScan:
    """A UDP scan of ``targets`` x ``ports``, ready to ``run()`` in one thread.

    Every target is put to the gate here, before any packet, and each datagram asks it
    again. ``emit`` hears each outcome as it comes (from the thread that runs the scan);
    ``bucket`` paces the datagrams (default: a plain bucket at ``settings.rate``),
    ``spacing`` the datagrams to each target (by its index in ``targets``).
    """

    def __init__(
        self,
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
        for address in targets:
            gate.permit(address)  # refuse before any packet
        self.targets, self.ports, self.settings = targets, ports, settings
        self.gate, self.stop, self.emit = gate, stop, emit
        self.bucket = bucket if bucket is not None else TokenBucket(settings.rate)
        self.spacing = spacing
        self.summary = UdpSummary()
        self.marks = bytearray(len(targets) * len(ports))  # by j * len(targets) + i
        if skip:
            for cell, (i, j) in enumerate(self._cells()):
                if (targets[i], ports[j]) in skip:
                    self.marks[cell] = _SKIPPED
        self.pending: dict[int, tuple[socket.socket, int, int, float]] = {}
        self.deadlines: deque[tuple[float, int]] = deque()
        self.resending = False
        self._abort = threading.Event()

    def _cells(self) -> Iterator[tuple[int, int]]:
        """``(target index, port index)`` in probe order: each port across all targets."""
        for j in range(len(self.ports)):
            for i in range(len(self.targets)):
                yield i, j

    def halted(self) -> bool:
        return self._abort.is_set() or self.stop.is_set()

    async def in_thread(self) -> UdpSummary:
        """``run`` in a thread, so an event loop keeps serving; cancelling it stops the scan."""
        return await in_thread(self.run, self._abort)

    def run(self) -> UdpSummary:
        """Probe every cell, then re-probe the silent ones once; report what stays silent."""
        raise_open_file_limit(self.settings.global_concurrency + 1024)
        epoll = select.epoll()
        try:
            for round_number in range(2):  # the first round, then one re-probe of silent ports
                self.resending = round_number > 0
                self._round(epoll)
                if self.halted() or 0 not in self.marks:
                    break
        finally:
            for sock, _i, _j, _deadline in self.pending.values():
                sock.close()
            self.pending.clear()
            epoll.close()
        if not self.halted():
            for cell, (i, j) in enumerate(self._cells()):
                if self.marks[cell] == 0:
                    address, port = self.targets[i], self.ports[j]
                    self.summary.silent.setdefault(address, []).append(port)
                    self.emit(address, Protocol.UDP, port, PortState.OPEN_FILTERED, "no-response")
        return self.summary

    def _round(self, epoll: select.epoll) -> None:
        limit = max(1, self.settings.global_concurrency)
        for cell, (i, j) in enumerate(self._cells()):
            if self.marks[cell]:
                continue
            while len(self.pending) >= limit and not self.halted():
                self._pump(epoll, 0.05)
            if self.halted():
                return
            count = len(payloads_for(self.ports[j]))
            wait = self.bucket.reserve(count)
            if wait > 0:
                self._pump(epoll, wait)
            if self.spacing is not None:
                while (delay := self.spacing.take(i, count)) > 0 and not self.halted():
                    self._pump(epoll, delay)
            if self.halted():
                return
            self.summary.probes_sent += self._send(epoll, i, j)
            if cell % 64 == 0:  # take in the answers so far: fewer sockets held in flight
                self._pump(epoll, 0.0)
        while self.pending and not self.halted():  # every probe has an outcome or ran out
            self._pump(epoll, 0.02)

    def _pump(self, epoll: select.epoll, seconds: float) -> None:
        """Take in answers for up to ``seconds``; probes whose wait ran out are let go."""
        end = time.monotonic() + seconds
        while True:
            try:
                ready = epoll.poll(max(0.0, min(0.05, end - time.monotonic())), 1024)
            except InterruptedError:
                ready = []
            for fd, _mask in ready:
                self._readable(epoll, fd)
            now = time.monotonic()
            while self.deadlines:  # oldest first; entries of answered probes just go
                deadline, fd = self.deadlines[0]
                entry = self.pending.get(fd)
                if entry is not None and entry[3] == deadline:
                    if deadline > now:
                        break
                    self._finish(epoll, fd)
                self.deadlines.popleft()
            if now >= end or self.halted():
                return

    def _finish(self, epoll: select.epoll, fd: int) -> None:
        entry = self.pending.pop(fd, None)
        if entry is not None:
            epoll.unregister(fd)
            entry[0].close()

    def _outcome(self, i: int, j: int, state: PortState, reason: str) -> None:
        self.marks[j * len(self.targets) + i] = _ANSWERED
        if state is PortState.OPEN:
            self.summary.replies += 1
        elif state is PortState.CLOSED:
            self.summary.port_unreachables += 1
        else:
            self.summary.other_unreachables += 1
        self.emit(self.targets[i], Protocol.UDP, self.ports[j], state, reason)

    def _readable(self, epoll: select.epoll, fd: int) -> None:
        entry = self.pending.get(fd)
        if entry is None:
            return
        sock, i, j, _deadline = entry
        try:
            _data, peer = sock.recvfrom(self.settings.max_reply_bytes)
        except BlockingIOError:
            return
        except ConnectionRefusedError:
            self._outcome(i, j, PortState.CLOSED, "port-unreach")
        except OSError as exc:
            reason = _FILTER_ERRNOS.get(exc.errno or 0, f"error-{exc.errno}")
            self._outcome(i, j, PortState.FILTERED, reason)
        else:
            if peer[0] != self.targets[i]:  # an unconnected socket hears only its target's answers
                return
            self._outcome(i, j, PortState.OPEN, "udp-response")
        self.bucket.observe(answered=1, dropped=1 if self.resending else 0)
        self._finish(epoll, fd)

    def _send(self, epoll: select.epoll, i: int, j: int) -> int:
        address, port = self.targets[i], self.ports[j]
        sock = socket.socket(family_of(address), socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            self.gate.permit(address)
            any_port = reply_from_any_port(port)
            try:
                if any_port:
                    # the answer comes from a new port: stay unconnected, and ask the
                    # kernel to still report ICMP errors for this socket (IP_RECVERR)
                    if sock.family == socket.AF_INET6:
                        sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVERR, 1)
                    else:
                        sock.setsockopt(socket.IPPROTO_IP, _IP_RECVERR, 1)
                else:
                    sock.connect((address, port))
            except OSError as exc:  # no route: the local stack answers for the network
                reason = _FILTER_ERRNOS.get(exc.errno or 0, f"error-{exc.errno}")
                self._outcome(i, j, PortState.FILTERED, reason)
                sock.close()
                return 0
            sent = 0
            for payload in payloads_for(port):
                try:
                    if any_port:
                        sock.sendto(payload, (address, port))
                    else:
                        sock.send(payload)
                    sent += 1
                except ConnectionRefusedError:
                    self._outcome(i, j, PortState.CLOSED, "port-unreach")
                    sock.close()
                    return sent
                except BlockingIOError:
                    continue
        except BaseException:
            sock.close()
            raise
        fd = sock.fileno()
        deadline = time.monotonic() + self.settings.udp_wait
        self.pending[fd] = (sock, i, j, deadline)
        self.deadlines.append((deadline, fd))
        epoll.register(fd, select.EPOLLIN)
        return sent
