"""memcached text protocol on TCP and, like old releases by default, on UDP.

Answers ``version``, ``stats`` (the general statistics block), ``get``/``gets``,
``set``/``add`` (a small bounded store: 1,000 items, 1 MiB), ``delete``, ``quit``.
UDP requests carry the 8-byte frame header (request id, sequence number, total
datagrams, reserved) and are answered in the same framing — the amplification vector
of CVE-2018-1000115-era deployments. Options: ``version`` (1.4.25), ``udp`` ("true";
"false" listens on TCP only, the hardened twin).
"""

from __future__ import annotations

import asyncio
import os
import struct
import time

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import (
    bound_port,
    choice,
    data,
    flag,
    hold,
    open_tcp,
    open_udp,
    read_exact,
    read_line,
    send,
)

NAME = "memcached"
MAX_ITEMS = 1000
MAX_BYTES = 1024 * 1024


class Store:
    def __init__(self, version: str) -> None:
        self.version = version
        self.items: dict[bytes, tuple[int, bytes]] = {}
        self.started = time.time()
        self.connections = 0
        self.gets = 0
        self.sets = 0

    def stats(self) -> bytes:
        now = int(time.time())
        lines = [
            ("pid", os.getpid()),
            ("uptime", now - int(self.started)),
            ("time", now),
            ("version", self.version),
            ("libevent", "2.1.8-stable"),
            ("pointer_size", 64),
            ("rusage_user", "0.020000"),
            ("rusage_system", "0.010000"),
            ("max_connections", 1024),
            ("curr_connections", self.connections),
            ("total_connections", self.connections),
            ("cmd_get", self.gets),
            ("cmd_set", self.sets),
            ("get_hits", 0),
            ("get_misses", 0),
            ("threads", 4),
            ("bytes", sum(len(v) for _, v in self.items.values())),
            ("curr_items", len(self.items)),
            ("total_items", self.sets),
            ("limit_maxbytes", 67108864),
        ]
        return b"".join(f"STAT {k} {v}\r\n".encode() for k, v in lines) + b"END\r\n"

    def command(self, line: bytes) -> bytes | None:
        """The answer to a retrieval/info command; None for storage commands."""
        words = line.split()
        if not words:
            return b"ERROR\r\n"
        verb = words[0].lower()
        if verb == b"version":
            return f"VERSION {self.version}\r\n".encode()
        if verb == b"stats":
            return self.stats()
        if verb in (b"get", b"gets"):
            out = b""
            self.gets += 1
            for key in words[1:20]:
                if key in self.items:
                    flags, value = self.items[key]
                    out += b"VALUE %s %d %d\r\n%s\r\n" % (key, flags, len(value), value)
            return out + b"END\r\n"
        if verb == b"delete" and len(words) >= 2:
            return (
                b"DELETED\r\n" if self.items.pop(words[1], None) is not None else b"NOT_FOUND\r\n"
            )
        if verb in (b"set", b"add", b"replace"):
            return None
        return b"ERROR\r\n"

    def store(self, words: list[bytes], value: bytes) -> bytes:
        key = words[1]
        if words[0].lower() == b"add" and key in self.items:
            return b"NOT_STORED\r\n"
        used = sum(len(v) for _, v in self.items.values())
        if len(self.items) >= MAX_ITEMS or used + len(value) > MAX_BYTES:
            return b"SERVER_ERROR out of memory storing object\r\n"
        self.items[key] = (int(words[2]), value)
        self.sets += 1
        return b"STORED\r\n"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    store = Store(choice(opts["version"], "version", data("services")["memcached"]))
    udp = flag(opts["udp"], "udp")

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        store.connections += 1
        for _ in range(1000):
            line = await read_line(reader, limit=2048, timeout=60.0)
            if line is None:
                return
            if line.strip().lower() == b"quit":
                return
            answer = store.command(line)
            if answer is None:
                words = line.split()
                if len(words) < 5 or not words[2].isdigit() or not words[4].isdigit():
                    answer = b"CLIENT_ERROR bad command line format\r\n"
                else:
                    value = await read_exact(reader, int(words[4]) + 2)
                    if value is None:
                        return
                    answer = store.store(words, value[:-2])
            if not await send(writer, answer):
                return

    def datagram(payload: bytes, _peer: tuple[object, ...]) -> bytes | None:
        if len(payload) < 8:
            return None
        request_id = payload[:2]
        line = payload[8:].split(b"\r\n", 1)[0]
        answer = store.command(line)
        if answer is None:
            answer = b"SERVER_ERROR storage over UDP is not offered\r\n"
        return request_id + struct.pack(">HHH", 0, 1, 0) + answer[:1400]

    tcp = await open_tcp(NAME, host, port, session)
    transports = [await open_udp(NAME, host, bound_port(tcp[0]), datagram)] if udp else []
    await hold([tcp], transports)
