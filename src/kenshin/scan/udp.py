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
"""

from __future__ import annotations

import asyncio
import errno
import socket
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from kenshin.domain import PortState, Protocol
from kenshin.scan.guard import ResultSink, family_of, raise_open_file_limit
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


class _Round:
    """One round of probes; outcomes land in ``answered``, silent ones are left over."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        settings: ScanSettings,
        bucket: TokenBucket | None = None,
        resending: bool = False,
    ) -> None:
        self.loop = loop
        self.settings = settings
        self.bucket = bucket
        self.resending = resending
        self.pending: dict[int, tuple[socket.socket, str, int, float]] = {}
        self.answered: dict[tuple[str, int], tuple[PortState, str]] = {}
        self.room = asyncio.Semaphore(max(1, settings.global_concurrency))

    def _finish(self, fd: int) -> None:
        entry = self.pending.pop(fd, None)
        if entry is None:
            return
        self.loop.remove_reader(fd)
        entry[0].close()
        self.room.release()

    def _readable(self, fd: int) -> None:
        entry = self.pending.get(fd)
        if entry is None:
            return
        sock, address, port, _deadline = entry
        try:
            _data, peer = sock.recvfrom(self.settings.max_reply_bytes)
        except BlockingIOError:
            return
        except ConnectionRefusedError:
            self.answered[(address, port)] = (PortState.CLOSED, "port-unreach")
        except OSError as exc:
            reason = _FILTER_ERRNOS.get(exc.errno or 0, f"error-{exc.errno}")
            self.answered[(address, port)] = (PortState.FILTERED, reason)
        else:
            if peer[0] != address:  # an unconnected socket hears only its target's answers
                return
            self.answered[(address, port)] = (PortState.OPEN, "udp-response")
        if self.bucket is not None:
            self.bucket.observe(answered=1, dropped=1 if self.resending else 0)
        self._finish(fd)

    def expire(self, now: float) -> None:
        for fd, (_sock, _a, _p, deadline) in list(self.pending.items()):
            if deadline <= now:
                self._finish(fd)

    async def send(self, gate: Gate, address: str, port: int) -> int:
        await self.room.acquire()
        sock = socket.socket(family_of(address), socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            gate.permit(address)
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
                self.answered[(address, port)] = (PortState.FILTERED, reason)
                sock.close()
                self.room.release()
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
                    self.answered[(address, port)] = (PortState.CLOSED, "port-unreach")
                    break
                except BlockingIOError:
                    continue
        except BaseException:
            sock.close()
            self.room.release()
            raise
        fd = sock.fileno()
        self.pending[fd] = (sock, address, port, time.monotonic() + self.settings.udp_wait)
        self.loop.add_reader(fd, self._readable, fd)
        return sent

    async def drain(self, stop: EmergencyStop) -> None:
        """Wait until every probe has an outcome or its wait ran out."""
        while self.pending:
            self.expire(time.monotonic())
            if stop.is_set():
                for fd in list(self.pending):
                    self._finish(fd)
                return
            await asyncio.sleep(0.02)


async def udp_scan(
    targets: Sequence[str],
    ports: Sequence[int],
    settings: ScanSettings,
    gate: Gate,
    stop: EmergencyStop,
    emit: ResultSink,
    skip: Collection[tuple[str, int]] = frozenset(),
    bucket: TokenBucket | None = None,
    spacing: TargetPacing | None = None,
) -> UdpSummary:
    """Probe every ``(target, port)``; report each outcome through ``emit``.

    ``bucket`` paces the datagrams (default: a plain bucket at ``settings.rate``),
    ``spacing`` the datagrams to each target (by its index in ``targets``).
    """
    loop = asyncio.get_running_loop()
    raise_open_file_limit(settings.global_concurrency + 1024)
    for address in targets:
        gate.permit(address)  # refuse before any packet
    bucket = bucket if bucket is not None else TokenBucket(settings.rate)
    summary = UdpSummary()
    todo = [(a, p) for p in ports for a in targets if (a, p) not in skip]
    place = {a: i for i, a in enumerate(targets)} if spacing is not None else {}
    for round_number in range(2):  # the first round, then one re-probe of silent ports
        current = _Round(loop, settings, bucket, resending=round_number > 0)
        sweeper_stop = asyncio.Event()

        async def sweep(state: _Round = current, done: asyncio.Event = sweeper_stop) -> None:
            while not done.is_set():
                state.expire(time.monotonic())
                await asyncio.sleep(0.05)

        sweeper = asyncio.create_task(sweep())
        try:
            for address, port in todo:
                if stop.is_set():
                    break
                await bucket.acquire(len(payloads_for(port)))
                if spacing is not None:
                    await spacing.acquire(place[address], len(payloads_for(port)))
                summary.probes_sent += await current.send(gate, address, port)
            await current.drain(stop)
        finally:
            sweeper_stop.set()
            await sweeper
            for fd in list(current.pending):
                current._finish(fd)
        for (address, port), (state, reason) in current.answered.items():
            if state is PortState.OPEN:
                summary.replies += 1
            elif state is PortState.CLOSED:
                summary.port_unreachables += 1
            else:
                summary.other_unreachables += 1
            emit(address, Protocol.UDP, port, state, reason)
        todo = [key for key in todo if key not in current.answered]
        if stop.is_set() or not todo:
            break
    if not stop.is_set():
        for address, port in todo:
            summary.silent.setdefault(address, []).append(port)
            emit(address, Protocol.UDP, port, PortState.OPEN_FILTERED, "no-response")
    return summary
