"""Bounded TCP (optionally TLS) streams: every read stops at a byte cap and a deadline.

A tarpit that never speaks, a host that streams megabytes of garbage, a TLS port that
answers nonsense or a reset all end here as "no answer" or a short answer, never as a
hang: each wait has a timeout and each read a cap. Identification and the checks both
talk through this one stream; the address was allowed by the scope's gate before.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from kenshin.net import telnet


@dataclass
class Answer:
    data: bytes = b""
    closed: bool = False  # the peer closed (EOF or reset)
    timed_out: bool = False


class Connection:
    """A TCP (optionally TLS) stream with bounded reads."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, send_timeout: float
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.send_timeout = send_timeout

    @property
    def tls(self) -> ssl.SSLObject | None:
        obj = self.writer.get_extra_info("ssl_object")
        return obj if isinstance(obj, ssl.SSLObject) else None

    async def send(self, data: bytes) -> bool:
        """Write ``data``; False when the peer is gone or does not take it in time."""
        if not data:
            return True
        try:
            self.writer.write(data)
            await asyncio.wait_for(self.writer.drain(), timeout=self.send_timeout)
        except (OSError, TimeoutError, ssl.SSLError, RuntimeError):
            return False
        return True

    async def read(
        self,
        first_timeout: float,
        idle_timeout: float,
        cap: int,
        *,
        total_timeout: float | None = None,
        telnet_refusals: bool = False,
        trickle: bool = False,
        until: Callable[[bytes], bool] | None = None,
    ) -> Answer:
        """Read an answer: wait ``first_timeout`` for data, then until ``idle_timeout`` of
        silence, EOF, ``cap`` bytes or ``total_timeout`` (default first + 4 × idle + 2 s).

        With ``telnet_refusals``, option negotiation (IAC DO/WILL) is refused on the fly,
        so a router's login prompt follows. With ``trickle``, a text banner that arrives
        slowly and has no line end yet is waited for gap by gap (up to 5 s a gap). With
        ``until``, each piece is handed to it as it arrives and True ends the read (the
        message is whole; no need to wait for silence).
        """
        answer = Answer()
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + (total_timeout or first_timeout + 4 * idle_timeout + 2.0)
        waiting = first_timeout
        last = time.monotonic()
        while size < cap:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                answer.timed_out = True
                break
            try:
                chunk = await asyncio.wait_for(
                    self.reader.read(min(4096, cap - size)), timeout=min(waiting, remaining)
                )
            except TimeoutError:
                answer.timed_out = not chunks
                break
            except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
                answer.closed = True
                break
            if not chunk:
                answer.closed = True
                break
            if telnet_refusals and telnet.IAC in chunk:
                await self.send(telnet.refusals(telnet.parse(chunk).requests))
            chunks.append(chunk)
            size += len(chunk)
            if until is not None and until(chunk):
                break
            now = time.monotonic()
            waiting = idle_timeout
            if trickle and b"\n" not in chunk and _textual(chunks):
                gap = 1.5 * (now - last) + 0.2
                waiting = min(max(idle_timeout, gap, 1.5 * first_timeout), 5.0)
            last = now
        answer.data = b"".join(chunks)[:cap]
        return answer

    async def read_until(self, markers: tuple[bytes, ...], cap: int, timeout: float) -> bytes:
        """Read until one of ``markers`` appears, ``cap`` bytes arrived, or time runs out."""
        deadline = time.monotonic() + timeout
        data = b""
        while len(data) < cap:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                chunk = await asyncio.wait_for(self.reader.read(4096), remaining)
            except (TimeoutError, OSError, ssl.SSLError, asyncio.IncompleteReadError):
                break
            if not chunk:
                break
            data += chunk
            if any(marker in data for marker in markers):
                break
        return data[:cap]

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), timeout=1.0)


def _textual(chunks: list[bytes]) -> bool:
    """Whether what arrived so far reads as one line of text still being written."""
    data = b"".join(chunks)
    return b"\n" not in data and all(32 <= b < 127 or b in (9, 13) for b in data[:256])


def observing_tls_context(minimum: str = "MINIMUM_SUPPORTED") -> ssl.SSLContext:
    """A client context that talks to anything, old protocols included: we read, not trust.

    ``minimum`` names an ``ssl.TLSVersion`` (``TLSv1``, ``TLSv1_2``, ...)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ValueError, ssl.SSLError):
        context.set_ciphers("ALL:@SECLEVEL=0")
    with contextlib.suppress(ValueError, AttributeError), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # old appliances speak TLS 1.0
        context.minimum_version = getattr(ssl.TLSVersion, minimum)
    return context


async def connect(
    address: str,
    port: int,
    *,
    timeout: float,
    tls: ssl.SSLContext | None = None,
    limit: int = 65_536,
    send_timeout: float = 3.0,
) -> Connection:
    """A connection within ``timeout`` (TLS handshake included); raises OSError/TimeoutError."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(
            address,
            port,
            ssl=tls,
            server_hostname=None,
            limit=limit,
            ssl_handshake_timeout=timeout if tls is not None else None,
        ),
        timeout=timeout,
    )
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Connection(reader, writer, send_timeout=send_timeout)


async def open_tcp(
    address: str,
    port: int,
    *,
    timeout: float,
    tls: ssl.SSLContext | None = None,
    limit: int = 65_536,
) -> Connection | None:
    """A connection, or None when the port refuses, resets, stalls or fails TLS."""
    try:
        return await connect(address, port, timeout=timeout, tls=tls, limit=limit)
    except (OSError, TimeoutError, ssl.SSLError, ValueError, EOFError):
        return None
