"""Bounded network helpers for checks: every read capped in bytes and time.

Helpers take a ``CheckTarget`` rather than an address, so a check can only ever talk to
the open port the engine handed it — never to an address outside the scan's scope.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass

from kenshin.checks.base import CheckSettings, CheckStats, CheckTarget


def insecure_tls_context() -> ssl.SSLContext:
    """A client context that talks to anything, old protocols included (we only observe)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ssl.SSLError, ValueError):
        context.set_ciphers("ALL:@SECLEVEL=0")
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    return context


@dataclass
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    settings: CheckSettings

    async def read(
        self, limit: int | None = None, timeout: float | None = None, idle: float = 0.3
    ) -> bytes:
        """What arrives within ``timeout``, ending early once the peer pauses for ``idle``."""
        cap = limit or self.settings.response_limit
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.settings.read_timeout if timeout is None else timeout)
        data = bytearray()
        while len(data) < cap:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            wait = remaining if not data else min(idle, remaining)
            try:
                chunk = await asyncio.wait_for(self.reader.read(cap - len(data)), wait)
            except (TimeoutError, ConnectionError, OSError, ssl.SSLError):
                break
            if not chunk:
                break
            data += chunk
        return bytes(data[:cap])

    async def read_until(self, markers: tuple[bytes, ...], timeout: float | None = None) -> bytes:
        """Read until one of ``markers`` appears, the cap is reached, or time runs out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.settings.read_timeout if timeout is None else timeout)
        data = b""
        while len(data) < self.settings.response_limit:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                chunk = await asyncio.wait_for(self.reader.read(4096), remaining)
            except (TimeoutError, ConnectionError, OSError, ssl.SSLError):
                break
            if not chunk:
                break
            data += chunk
            if any(marker in data for marker in markers):
                break
        return data[: self.settings.response_limit]

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        with contextlib.suppress(ConnectionError, OSError):
            await asyncio.wait_for(self.writer.drain(), self.settings.read_timeout)


@contextlib.asynccontextmanager
async def connect(
    target: CheckTarget, settings: CheckSettings, stats: CheckStats, *, tls: bool = False
) -> AsyncIterator[Connection]:
    """One TCP (optionally TLS) connection to the target's open port, always closed."""
    stats.connections += 1
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(
            target.address,
            target.number,
            ssl=insecure_tls_context() if tls else None,
            limit=settings.response_limit,
        ),
        settings.connect_timeout,
    )
    try:
        yield Connection(reader, writer, settings)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 1.0)


async def udp_exchange(
    target: CheckTarget,
    payload: bytes,
    settings: CheckSettings,
    stats: CheckStats,
    *,
    attempts: int = 2,
) -> bytes | None:
    """Send one datagram to the target's port and return the first reply, or None."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in target.address else socket.AF_INET
    for _ in range(max(1, attempts)):
        stats.connections += 1
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setblocking(False)
        try:
            sock.connect((target.address, target.number))
            sock.send(payload)
            try:
                return await asyncio.wait_for(
                    loop.sock_recv(sock, settings.response_limit), settings.read_timeout
                )
            except (TimeoutError, ConnectionRefusedError, OSError):
                continue
        finally:
            sock.close()
    return None


_HTTP_HEAD = re.compile(rb"^HTTP/1\.[01] (\d{3})")


async def http_get(
    target: CheckTarget,
    settings: CheckSettings,
    stats: CheckStats,
    path: str,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, bytes]:
    """One HTTP/1.1 GET: (status, headers, body) — over TLS when identification saw TLS."""
    tls = target.tunnel == "ssl" or target.service in ("https", "ssl/http", "https-alt")
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {target.address}",
        "User-Agent: kenshin",
        "Accept: */*",
        "Connection: close",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    async with connect(target, settings, stats, tls=tls) as http:
        await http.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = await http.read(timeout=settings.read_timeout, idle=1.0)
    head, _, body = data.partition(b"\r\n\r\n")
    match = _HTTP_HEAD.match(head)
    return (int(match.group(1)) if match else 0), head, body
