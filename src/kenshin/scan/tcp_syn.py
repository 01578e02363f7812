"""Privileged TCP SYN scan: a stateless raw-socket sender and a cookie-checking receiver.

The design follows masscan and ZMap. The sender crafts IPv4/TCP SYN packets whose
sequence number is a keyed hash ("cookie") of the destination address and port, and
paces them with a token bucket; it keeps no per-probe state. A receiver thread reads
a raw TCP socket (and a raw ICMP socket) and accepts only replies whose
acknowledgement number is cookie + 1 (or, for ICMP errors, whose quoted header
carries the cookie), so stray traffic and spoofed answers cannot create results.
SYN-ACK means ``open`` (the kernel answers it with a reset, as no socket exists),
RST means ``closed``, ICMP unreachable ``filtered``; ports silent after the retry
pass are ``filtered`` with reason ``no-response``.

Needs root (CAP_NET_RAW); ``syn_available()`` says whether it can run. IPv4 only.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import hashlib
import os
import queue
import select
import socket
import struct
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from kenshin.domain import PortState, Protocol
from kenshin.scan.guard import Guard, ResultSink
from kenshin.scan.pacing import EmergencyStop, RttEstimator, TokenBucket
from kenshin.scan.settings import ScanSettings

_BATCH = 64
SENDERS = 2
"""Sender threads of a SYN scan (at most the number of CPUs)."""
_ICMP_REASONS = {
    0: "net-unreach",
    1: "host-unreach",
    2: "proto-unreach",
    3: "port-unreach",
    9: "net-prohibited",
    10: "host-prohibited",
    13: "admin-prohibited",
}


def syn_available() -> bool:
    """True when raw sockets can be opened (root or CAP_NET_RAW)."""
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    except (PermissionError, OSError):
        return False
    probe.close()
    return True


def source_address_for(destination: str) -> str:
    """The local address the kernel would use towards ``destination`` (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect((destination, 9))
        address: str = sock.getsockname()[0]
        return address


def _sum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    return sum(struct.unpack(f"!{len(data) // 2}H", data))


class _Cookies:
    """Keyed 32-bit cookies of (address, port), unpredictable without the per-scan key.

    Each address gets a 64-bit value from BLAKE2s under a random per-scan key; the
    cookie of a port is a multiply-shift hash of that value and the port with a random
    odd multiplier (a universal hash family), which costs a few integer operations per
    packet instead of a cryptographic hash, as masscan and ZMap also keep it cheap.
    """

    def __init__(self) -> None:
        self._key = os.urandom(16)
        self.multiplier = int.from_bytes(os.urandom(8), "big") | 1

    def host_value(self, address: bytes) -> int:
        digest = hashlib.blake2s(address, key=self._key, digest_size=8).digest()
        return int.from_bytes(digest, "big")

    def __call__(self, host_value: int, port: int) -> int:
        return (((host_value + port) * self.multiplier) & 0xFFFFFFFFFFFFFFFF) >> 32


@dataclass
class _Host:
    address: str
    packed: bytes
    template: bytearray
    base_sum: int
    ports: list[int]
    secret: int = 0
    answered: set[int] = field(default_factory=set)


def _template(source: bytes, destination: bytes, source_port: int) -> tuple[bytearray, int]:
    tcp_length = 24
    ip = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + tcp_length,
        0,
        0,
        64,
        socket.IPPROTO_TCP,
        0,
        source,
        destination,
    )
    # ports, seq, ack, offset(6 words)/flags SYN, window, checksum, urgent, MSS option 1460
    tcp = struct.pack("!HHIIBBHHH", source_port, 0, 0, 0, 6 << 4, 0x02, 1024, 0, 0)
    tcp += bytes((2, 4, 0x05, 0xB4))
    pseudo = source + destination + struct.pack("!BBH", 0, socket.IPPROTO_TCP, tcp_length)
    return bytearray(ip + tcp), _sum16(pseudo) + _sum16(tcp)


_SO_ATTACH_FILTER = 26


def _attach_port_filter(sock: socket.socket, port: int) -> None:
    """A classic BPF program: keep only IPv4/TCP packets whose destination port is ``port``.

    The raw TCP socket otherwise receives every TCP packet of the machine (our own SYNs
    on loopback, other programs' traffic); the kernel now drops those before Python.
    """
    program = [
        (0xB1, 0, 0, 0),  # ldxb 4*([0]&0xf)   X = IP header length
        (0x48, 0, 0, 2),  # ldh [x+2]          A = TCP destination port
        (0x15, 0, 1, port),  # jeq #port
        (0x06, 0, 0, 0xFFFF),  # ret #65535 (keep)
        (0x06, 0, 0, 0),  # ret #0 (drop)
    ]
    code = b"".join(struct.pack("HBBI", *op) for op in program)
    buffer = ctypes.create_string_buffer(code)
    fprog = struct.pack("HL", len(program), ctypes.addressof(buffer))
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)
    except OSError:
        return  # without the filter, replies are still matched in Python


class SynScan:
    """One SYN scan run over IPv4 targets; ``run()`` blocks (call it in a thread)."""

    def __init__(
        self,
        targets: Sequence[str],
        ports: Sequence[int],
        settings: ScanSettings,
        guard: Guard,
        stop: EmergencyStop,
        skip: Collection[tuple[str, int]] = frozenset(),
        bucket: TokenBucket | None = None,
    ) -> None:
        self.settings = settings
        self.bucket = bucket
        self._resending = False
        self.guard = guard
        self.stop = stop
        self.results: queue.SimpleQueue[tuple[str, int, PortState, str]] = queue.SimpleQueue()
        self.cookies = _Cookies()
        self.rtt = RttEstimator(
            settings.initial_timeout, settings.min_timeout, settings.max_timeout
        )
        self._sample_sent: dict[tuple[bytes, int], float] = {}
        self._done = threading.Event()
        self._lock = threading.Lock()
        self.sent = 0
        self.senders = max(1, min(SENDERS, os.cpu_count() or 1))
        for address in targets:
            guard.permit(address)  # refuse before any packet
        self.hosts: dict[bytes, _Host] = {}
        sources: dict[str, str] = {}
        for address in targets:
            try:
                sources[address] = source_address_for(address)
            except OSError as exc:  # no route: every port of this host is unreachable
                reason = "net-unreach" if exc.errno == errno.ENETUNREACH else "host-unreach"
                for port in ports:
                    if (address, port) not in skip:
                        self.results.put((address, port, PortState.FILTERED, reason))
        self._reserve = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        first_source = next(iter(sources.values()), "127.0.0.1")
        self._reserve.bind((first_source, 0))
        self.source_port: int = self._reserve.getsockname()[1]
        for address, source_text in sources.items():
            source = socket.inet_aton(source_text)
            packed = socket.inet_aton(address)
            template, base = _template(source, packed, self.source_port)
            todo = [p for p in ports if (address, p) not in skip]
            self.hosts[packed] = _Host(
                address, packed, template, base, todo, self.cookies.host_value(packed)
            )

    # -- receiving --------------------------------------------------------------
    def _answer(self, host: _Host, port: int, state: PortState, reason: str) -> None:
        with self._lock:
            if port in host.answered:
                return
            host.answered.add(port)
            sent_at = self._sample_sent.pop((host.packed, port), None)
        if sent_at is not None:
            self.rtt.add(time.monotonic() - sent_at)
        if self.bucket is not None:
            self.bucket.observe(answered=1, dropped=1 if self._resending else 0)
        self.results.put((host.address, port, state, reason))

    def _on_tcp(self, packet: bytes) -> None:
        if len(packet) < 20:
            return
        ihl = (packet[0] & 0x0F) * 4
        if len(packet) < ihl + 14:
            return
        host = self.hosts.get(packet[12:16])
        if host is None:
            return
        sport, dport, _seq, ack = struct.unpack_from("!HHII", packet, ihl)
        if dport != self.source_port:
            return
        flags = packet[ihl + 13]
        if (ack - 1) & 0xFFFFFFFF != self.cookies(host.secret, sport):
            return
        if flags & 0x12 == 0x12:
            self._answer(host, sport, PortState.OPEN, "syn-ack")
        elif flags & 0x04:
            self._answer(host, sport, PortState.CLOSED, "reset")

    def _on_icmp(self, packet: bytes) -> None:
        ihl = (packet[0] & 0x0F) * 4
        if len(packet) < ihl + 8 + 20 + 8 or packet[ihl] != 3:
            return
        code = packet[ihl + 1]
        inner = ihl + 8
        inner_ihl = (packet[inner] & 0x0F) * 4
        if packet[inner + 9] != socket.IPPROTO_TCP or len(packet) < inner + inner_ihl + 8:
            return
        host = self.hosts.get(packet[inner + 16 : inner + 20])
        if host is None:
            return
        sport, dport, seq = struct.unpack_from("!HHI", packet, inner + inner_ihl)
        if sport != self.source_port or seq != self.cookies(host.secret, dport):
            return
        self._answer(host, dport, PortState.FILTERED, _ICMP_REASONS.get(code, f"icmp-3-{code}"))

    def _receive(self, tcp_sock: socket.socket, icmp_sock: socket.socket) -> None:
        while not self._done.is_set():
            ready, _, _ = select.select([tcp_sock, icmp_sock], [], [], 0.05)
            for sock in ready:
                for _ in range(4096):
                    try:
                        packet = sock.recv(256)
                    except BlockingIOError:
                        break
                    if sock is tcp_sock:
                        self._on_tcp(packet)
                    else:
                        self._on_icmp(packet)

    # -- sending ----------------------------------------------------------------
    def _send_pass(
        self,
        sender: socket.socket,
        bucket: TokenBucket,
        retry: bool,
        part: int = 0,
        parts: int = 1,
    ) -> bool:
        """Send one SYN to every unanswered (host, port) of slice ``part``; False when stopped.

        Hosts are interleaved (port i of every host, then port i+1), so no single host
        sees a burst; with ``parts`` senders, sender k takes every k-th port index and
        patches its own copy of the packet templates. The loop keeps everything in local
        names: it runs once per packet.
        """
        hosts = list(self.hosts.values())
        templates = {id(h): bytearray(h.template) for h in hosts}
        longest = max((len(h.ports) for h in hosts), default=0)
        cookies = self.cookies
        multiplier = cookies.multiplier
        permit = self.guard.permit
        pack_into = struct.pack_into
        sendto = sender.sendto
        stop = self.stop
        sent = 0
        budget = 0
        for index in range(part, longest, parts):
            for host in hosts:
                ports = host.ports
                if index >= len(ports):
                    continue
                port = ports[index]
                if retry and port in host.answered:
                    continue
                if budget == 0:
                    if stop.is_set():
                        self._count_sent(sent)
                        return False
                    bucket.take(_BATCH)
                    budget = _BATCH
                budget -= 1
                permit(host.address)
                cookie = (((host.secret + port) * multiplier) & 0xFFFFFFFFFFFFFFFF) >> 32
                packet = templates[id(host)]
                total = host.base_sum + port + (cookie >> 16) + (cookie & 0xFFFF)
                total = (total & 0xFFFF) + (total >> 16)
                total = (total & 0xFFFF) + (total >> 16)
                pack_into("!HI", packet, 22, port, cookie)
                pack_into("!H", packet, 36, ~total & 0xFFFF)
                if sent & 255 == 0:
                    with self._lock:
                        self._sample_sent[(host.packed, port)] = time.monotonic()
                while True:
                    try:
                        sendto(packet, (host.address, 0))
                        break
                    except OSError as exc:
                        if exc.errno in (errno.ENOBUFS, errno.EAGAIN):
                            time.sleep(0.0005)
                            continue
                        raise
                sent += 1
        self._count_sent(sent)
        return True

    def _count_sent(self, count: int) -> None:
        with self._lock:
            self.sent += count

    def _send_all(self, bucket: TokenBucket, retry: bool) -> bool:
        """One pass with ``senders`` threads, each on its own raw socket; False when stopped.

        ``sendto`` on a raw socket releases the GIL while the kernel routes the packet,
        so a second sender keeps a second core busy with the kernel's share of the work.
        """
        outcomes: list[bool] = []
        errors: list[BaseException] = []

        def work(part: int) -> None:
            sender = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
            try:
                sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
                outcomes.append(self._send_pass(sender, bucket, retry, part, self.senders))
            except BaseException as exc:
                errors.append(exc)
            finally:
                sender.close()

        threads = [
            threading.Thread(target=work, args=(k,), name=f"kenshin-syn-tx{k}", daemon=True)
            for k in range(self.senders)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return all(outcomes)

    def _wait_replies(self) -> None:
        deadline = time.monotonic() + self.rtt.timeout
        while time.monotonic() < deadline and not self.stop.is_set():
            time.sleep(0.02)

    def run(self) -> bool:
        """Scan; returns False when the emergency stop cut it short."""
        tcp_sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        icmp_sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        for sock in (tcp_sock, icmp_sock):
            sock.setblocking(False)
            try:
                sock.setsockopt(socket.SOL_SOCKET, 33, 16 * 1024 * 1024)  # SO_RCVBUFFORCE
            except OSError:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024 * 1024)
        _attach_port_filter(tcp_sock, self.source_port)
        receiver = threading.Thread(
            target=self._receive, args=(tcp_sock, icmp_sock), name="kenshin-syn-rx", daemon=True
        )
        receiver.start()
        bucket = self.bucket or TokenBucket(
            self.settings.rate, burst=max(_BATCH, self.settings.rate / 50)
        )
        completed = True
        try:
            for attempt in range(1 + self.settings.retries):
                self._resending = attempt > 0
                if not self._send_all(bucket, retry=attempt > 0):
                    completed = False
                    break
                self._wait_replies()
                if all(len(h.answered) >= len(h.ports) for h in self.hosts.values()):
                    break
        finally:
            self._done.set()
            receiver.join(timeout=2)
            for sock in (tcp_sock, icmp_sock, self._reserve):
                sock.close()
        if completed:
            for host in self.hosts.values():
                for port in host.ports:
                    if port not in host.answered:
                        self.results.put((host.address, port, PortState.FILTERED, "no-response"))
        return completed


async def tcp_syn_scan(
    targets: Sequence[str],
    ports: Sequence[int],
    settings: ScanSettings,
    guard: Guard,
    stop: EmergencyStop,
    emit: ResultSink,
    skip: Collection[tuple[str, int]] = frozenset(),
    bucket: TokenBucket | None = None,
) -> bool:
    """Run a SYN scan in a thread, reporting through ``emit`` on the event loop.

    ``bucket`` paces the packets (default: a plain bucket at ``settings.rate``).
    """
    for address in targets:
        if not isinstance(_ipv4(address), IPv4Address):
            raise ValueError("SYN scan is IPv4 only")
    scan = SynScan(targets, ports, settings, guard, stop, skip, bucket)
    worker = asyncio.create_task(asyncio.to_thread(scan.run))

    def drain() -> None:
        while True:
            try:
                address, port, state, reason = scan.results.get_nowait()
            except queue.Empty:
                return
            emit(address, Protocol.TCP, port, state, reason)

    while not worker.done():
        drain()
        await asyncio.wait({worker}, timeout=0.1)
    completed = worker.result()
    drain()
    return completed


def _ipv4(address: str) -> IPv4Address | None:
    try:
        return IPv4Address(address)
    except ValueError:
        return None
