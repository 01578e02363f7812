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

import ctypes
import errno
import functools
import os
import select
import socket
import struct
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from ipaddress import IPv4Address

try:  # hashlib would map OpenSSL (megabytes) for the one keyed hash a scan needs
    from _blake2 import blake2s
except ImportError:  # pragma: no cover - an interpreter without the builtin module
    from hashlib import blake2s

from kenshin.domain import PortState
from kenshin.scan.guard import TableScan, all_in_threads
from kenshin.scan.pacing import EmergencyStop, RttEstimator, TargetPacing, TokenBucket
from kenshin.scan.settings import ScanSettings
from kenshin.scan.state import AddressIndex, Outcomes, PortTable
from kenshin.scope import Gate

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
        digest = blake2s(address, key=self._key, digest_size=8).digest()
        return int.from_bytes(digest, "big")

    def __call__(self, host_value: int, port: int) -> int:
        return (((host_value + port) * self.multiplier) & 0xFFFFFFFFFFFFFFFF) >> 32


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


class _Sources:
    """The local source address towards each target, asked of the kernel on one UDP socket."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def __call__(self, destination: str) -> str:
        self._sock.connect((destination, 9))
        address: str = self._sock.getsockname()[0]
        return address

    def close(self) -> None:
        self._sock.close()


class SynScan:
    """One SYN scan run over IPv4 targets; ``run()`` blocks (call it in a thread).

    Per-target state is a few machine words in arrays keyed by the plan's target index
    (destination, cookie secret, checksum base, source), outcomes live in the shared
    ``PortTable`` and every packet is one shared template patched in place; targets are
    worked through in the table's groups, each sealed when done (see ``kenshin.scan.state``).
    """

    def __init__(
        self,
        targets: Sequence[str],
        ports: Sequence[int],
        settings: ScanSettings,
        gate: Gate,
        stop: EmergencyStop,
        *,
        table: PortTable | None = None,
        notify: Callable[[int, int], None] | None = None,
        source_for: Callable[[str], str] | None = None,
        bucket: TokenBucket | None = None,
        spacing: TargetPacing | None = None,
    ) -> None:
        self.settings = settings
        self.bucket = bucket
        self.spacing = spacing
        self._resending = False
        self.gate = gate
        self.stop = stop
        self.table = table if table is not None else PortTable(targets, ports, Outcomes())
        self.targets = self.table.targets
        self.ports = self.table.ports
        self.notify = notify
        outcomes = self.table.outcomes
        self._open = outcomes.code(PortState.OPEN, "syn-ack")
        self._closed = outcomes.code(PortState.CLOSED, "reset")
        self._silent = outcomes.code(PortState.FILTERED, "no-response")
        self.cookies = _Cookies()
        self.rtt = RttEstimator(
            settings.initial_timeout, settings.min_timeout, settings.max_timeout
        )
        self._sample_sent: dict[tuple[int, int], float] = {}
        self._done = threading.Event()
        self._lock = threading.Lock()
        self.sent = 0
        self.senders = max(1, min(SENDERS, os.cpu_count() or 1))
        self.active = range(0)
        for address in self.targets:
            gate.permit(address)  # refuse before any packet
        count = len(self.targets)
        self.dests = array("I", bytes(4 * count))
        self.secrets = array("Q", bytes(8 * count))
        self.bases = array("I", bytes(4 * count))
        self.source_of = array("H", bytes(2 * count))
        self.sources: list[bytes] = []
        self.unreachable: list[tuple[int, str]] = []
        resolve = source_for if source_for is not None else _Sources()
        known: dict[str, int] = {}
        try:
            for i, address in enumerate(self.targets):
                try:
                    source_text = resolve(address)
                except OSError as exc:  # no route: every port of this host is unreachable
                    why = "net-unreach" if exc.errno == errno.ENETUNREACH else "host-unreach"
                    self.unreachable.append((i, why))
                    continue
                k = known.setdefault(source_text, len(known))
                if k == len(self.sources):
                    self.sources.append(socket.inet_aton(source_text))
                packed = socket.inet_aton(address)
                value = int.from_bytes(packed, "big")
                self.dests[i] = value
                self.secrets[i] = self.cookies.host_value(packed)
                self.source_of[i] = k
        finally:
            if isinstance(resolve, _Sources):
                resolve.close()
        self.by_packed = AddressIndex(self.dests)
        self._reserve = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        first_source = socket.inet_ntoa(self.sources[0]) if self.sources else "127.0.0.1"
        self._reserve.bind((first_source, 0))
        self.source_port: int = self._reserve.getsockname()[1]
        self.templates: list[tuple[bytearray, int]] = [
            _template(source, bytes(4), self.source_port) for source in self.sources
        ]
        for i in range(count):
            if self.sources:
                value = self.dests[i]
                base = self.templates[self.source_of[i]][1] + (value >> 16) + (value & 0xFFFF)
                self.bases[i] = base

    # -- receiving --------------------------------------------------------------
    def _answer(self, i: int, j: int, code: int) -> None:
        with self._lock:
            if i not in self.active or not self.table.set(i, j, code):
                return
            sent_at = self._sample_sent.pop((i, j), None)
        if sent_at is not None:
            self.rtt.add(time.monotonic() - sent_at)
        if self.bucket is not None:
            self.bucket.observe(answered=1, dropped=1 if self._resending else 0)
        if self.notify is not None:
            self.notify(i, j)

    def _on_tcp(self, packet: bytes) -> None:
        if len(packet) < 20:
            return
        ihl = (packet[0] & 0x0F) * 4
        if len(packet) < ihl + 14:
            return
        i = self.by_packed.get(packet[12:16])
        if i is None:
            return
        sport, dport, _seq, ack = struct.unpack_from("!HHII", packet, ihl)
        if dport != self.source_port:
            return
        flags = packet[ihl + 13]
        if (ack - 1) & 0xFFFFFFFF != self.cookies(self.secrets[i], sport):
            return
        j = self.table.port_index(sport)
        if j < 0:
            return
        if flags & 0x12 == 0x12:
            self._answer(i, j, self._open)
        elif flags & 0x04:
            self._answer(i, j, self._closed)

    def _on_icmp(self, packet: bytes) -> None:
        ihl = (packet[0] & 0x0F) * 4
        if len(packet) < ihl + 8 + 20 + 8 or packet[ihl] != 3:
            return
        code = packet[ihl + 1]
        inner = ihl + 8
        inner_ihl = (packet[inner] & 0x0F) * 4
        if packet[inner + 9] != socket.IPPROTO_TCP or len(packet) < inner + inner_ihl + 8:
            return
        i = self.by_packed.get(packet[inner + 16 : inner + 20])
        if i is None:
            return
        sport, dport, seq = struct.unpack_from("!HHI", packet, inner + inner_ihl)
        if sport != self.source_port or seq != self.cookies(self.secrets[i], dport):
            return
        j = self.table.port_index(dport)
        if j < 0:
            return
        reason = _ICMP_REASONS.get(code, f"icmp-3-{code}")
        self._answer(i, j, self.table.outcomes.code(PortState.FILTERED, reason))

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
        group: range,
        part: int = 0,
        parts: int = 1,
    ) -> bool:
        """Send one SYN to every (target, port) of ``group`` without an outcome; False when stopped.

        Targets are interleaved (port j of every target, then port j+1), so no single
        target sees a burst; with ``parts`` senders, sender k takes every k-th port index
        and patches its own copy of the packet templates. The loop keeps everything in
        local names: it runs once per packet.
        """
        templates = [bytearray(t) for t, _sum in self.templates]
        single = templates[0] if len(templates) == 1 else None
        targets = self.targets
        ports = self.ports
        rows = self.table.rows
        dests, secrets, bases, source_of = self.dests, self.secrets, self.bases, self.source_of
        multiplier = self.cookies.multiplier
        source_port = self.source_port
        permit = self.gate.permit
        spaced = self.spacing.wait if self.spacing is not None else None
        pack_into = struct.pack_into
        sendto = sender.sendto
        stop = self.stop
        sent = 0
        budget = 0
        for j in range(part, len(ports), parts):
            port = ports[j]
            for i in group:
                row = rows[i]
                if row is not None and row[j]:  # type: ignore[index]
                    continue
                if budget == 0:
                    if stop.is_set():
                        self._count_sent(sent)
                        return False
                    bucket.take(_BATCH)
                    budget = _BATCH
                budget -= 1
                address = targets[i]
                permit(address)
                if spaced is not None:
                    spaced(i)
                cookie = (((secrets[i] + port) * multiplier) & 0xFFFFFFFFFFFFFFFF) >> 32
                packet = single if single is not None else templates[source_of[i]]
                total = bases[i] + port + (cookie >> 16) + (cookie & 0xFFFF)
                total = (total & 0xFFFF) + (total >> 16)
                total = (total & 0xFFFF) + (total >> 16)
                pack_into("!IHHI", packet, 16, dests[i], source_port, port, cookie)
                pack_into("!H", packet, 36, ~total & 0xFFFF)
                if sent & 255 == 0:
                    with self._lock:
                        self._sample_sent[(i, j)] = time.monotonic()
                while True:
                    try:
                        sendto(packet, (address, 0))
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

    def _send_all(self, bucket: TokenBucket, group: range) -> bool:
        """One pass with ``senders`` threads, each on its own raw socket; False when stopped.

        ``sendto`` on a raw socket releases the GIL while the kernel routes the packet,
        so a second sender keeps a second core busy with the kernel's share of the work.
        """

        def work(part: int) -> bool:
            sender = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
            try:
                sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
                return self._send_pass(sender, bucket, group, part, self.senders)
            finally:
                sender.close()

        return all_in_threads(
            [functools.partial(work, k) for k in range(self.senders)], "kenshin-syn-tx"
        )

    def _wait_replies(self) -> None:
        deadline = time.monotonic() + self.rtt.timeout
        while time.monotonic() < deadline and not self.stop.is_set():
            time.sleep(0.02)

    def _unanswered(self, group: range) -> int:
        rows = self.table.rows
        missing = 0
        for i in group:
            row = rows[i]
            missing += self.table.width if row is None else row.count(0)  # type: ignore[union-attr]
        return missing

    def _fill(self, group: range, code: int) -> None:
        """Give every cell of ``group`` still without an outcome ``code`` (receiver paused)."""
        with self._lock:
            self.active = range(0)
            for i in group:
                row = self.table.row(i)
                start = row.find(0)
                while start >= 0:
                    row[start] = code
                    if self.notify is not None:
                        self.notify(i, start)
                    start = row.find(0, start + 1)

    def _mark_unreachable(self) -> None:
        outcomes = self.table.outcomes
        for i, why in self.unreachable:
            self._fill(range(i, i + 1), outcomes.code(PortState.FILTERED, why))

    async def in_thread(self) -> bool:
        """``run`` in a thread, so an event loop keeps serving while the scan sends."""
        import asyncio  # here: a SYN scan from synchronous code needs no event loop

        return await asyncio.to_thread(self.run)

    def run(self) -> bool:
        """Scan; returns False when the emergency stop cut it short."""
        self._mark_unreachable()
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
            for group in self.table.groups():
                if not self.sources or not self._unanswered(group):
                    continue
                self.active = group
                for attempt in range(1 + self.settings.retries):
                    self._resending = attempt > 0
                    if not self._send_all(bucket, group):
                        completed = False
                        break
                    self._wait_replies()
                    if not self._unanswered(group):
                        break
                if not completed:
                    break
                self._fill(group, self._silent)
                if self.table.grouped:
                    self.table.seal(group)
        finally:
            self.active = range(0)
            self._done.set()
            receiver.join(timeout=2)
            for sock in (tcp_sock, icmp_sock, self._reserve):
                sock.close()
        return completed


def syn_scan(job: TableScan) -> SynScan:
    """A SYN scan of ``job`` (see ``TableScan``), ready to ``run()``."""
    table = job.table
    for address in table.targets:
        if not isinstance(_ipv4(address), IPv4Address):
            raise ValueError("SYN scan is IPv4 only")
    return SynScan(
        table.targets,
        table.ports,
        job.settings,
        job.gate,
        job.stop,
        table=table,
        notify=job.notify,
        bucket=job.bucket,
        spacing=job.spacing,
    )


def _ipv4(address: str) -> IPv4Address | None:
    try:
        return IPv4Address(address)
    except ValueError:
        return None
