"""Shared machinery of the emulators: bounded reads, TCP/UDP servers, data files, logging.

Every emulator runs until its task is cancelled. Reads are bounded in size and time,
connections in number and lifetime, so a misbehaving client cannot pin the emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from functools import cache
from importlib import resources
from typing import Any

import yaml

from kenshin.lab.emulators._errors import EmulatorError
from kenshin.lab.emulators._tlsio import accept as tls_accept

#: Bytes one connection may send us before we stop reading (per request/line).
MAX_READ = 64 * 1024
#: Seconds a connection may stay open at most (tarpit and slow set their own).
CONNECTION_SECONDS = 120.0
#: Seconds we wait for the next bytes from a client.
READ_SECONDS = 15.0
#: Connections served at once by one emulator; more are closed at once.
MAX_CONNECTIONS = 512

Listening = Callable[[str, str, tuple[Any, ...]], None]
#: Called with (emulator name, protocol, socket address) once an emulator is bound.
#: ``start()`` and ``__main__`` set it; it propagates into the server task's context.
on_listening: ContextVar[Listening | None] = ContextVar("on_listening", default=None)

TcpHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
UdpResponder = Callable[[bytes, tuple[Any, ...]], Iterable[bytes] | bytes | None]


def log(name: str, message: str) -> None:
    """One line on stderr: what the emulator saw (never a credential)."""
    print(f"[{name}] {message}", file=sys.stderr, flush=True)


def _announce(name: str, protocol: str, sockets: Iterable[socket.socket]) -> None:
    callback = on_listening.get()
    for sock in sockets:
        address = sock.getsockname()
        log(name, f"listening on {protocol} {address[0]} port {address[1]}")
        if callback is not None:
            callback(name, protocol, tuple(address))


def flag(value: str | bool, option: str) -> bool:
    """An option's yes/no value ("true"/"false", "yes"/"no", "1"/"0", "on"/"off")."""
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in {"true", "yes", "1", "on"}:
        return True
    if lowered in {"false", "no", "0", "off"}:
        return False
    raise EmulatorError("lab_emulators.bad_option", option=option, value=value)


def number(value: str, option: str) -> float:
    try:
        result = float(value)
    except ValueError:
        raise EmulatorError("lab_emulators.bad_option", option=option, value=value) from None
    if result < 0:
        raise EmulatorError("lab_emulators.bad_option", option=option, value=value)
    return result


def choice(value: str, option: str, allowed: Iterable[str]) -> str:
    if value not in set(allowed):
        raise EmulatorError("lab_emulators.bad_option", option=option, value=value)
    return value


@cache
def data(name: str) -> Any:
    """A YAML data file of this package (``data/<name>.yaml``)."""
    folder = resources.files("kenshin.lab.emulators") / "data"
    text = (folder / f"{name}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


async def read_line(
    reader: asyncio.StreamReader, *, limit: int = 4096, timeout: float = READ_SECONDS
) -> bytes | None:
    """One line without its CR/LF, cut at ``limit`` bytes; None on EOF or timeout."""
    try:
        async with asyncio.timeout(timeout):
            line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        return exc.partial[:limit].rstrip(b"\r\n") or None
    except asyncio.LimitOverrunError:
        # longer than the stream's limit (MAX_READ): consume it and keep the head
        chunk = await read_some(reader, limit=MAX_READ, timeout=timeout)
        return None if chunk is None else chunk[:limit]
    except (TimeoutError, ConnectionError):
        return None
    return line[:limit].rstrip(b"\r\n")


async def read_exact(
    reader: asyncio.StreamReader, size: int, *, timeout: float = READ_SECONDS
) -> bytes | None:
    """Exactly ``size`` bytes (``size`` ≤ MAX_READ); None on EOF, timeout or a huge size."""
    if size > MAX_READ or size < 0:
        return None
    try:
        async with asyncio.timeout(timeout):
            return await reader.readexactly(size)
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
        return None


async def read_some(
    reader: asyncio.StreamReader, *, limit: int = MAX_READ, timeout: float = READ_SECONDS
) -> bytes | None:
    """Whatever the client sends next (at most ``limit``); None on EOF or timeout."""
    try:
        async with asyncio.timeout(timeout):
            chunk = await reader.read(limit)
    except (TimeoutError, ConnectionError):
        return None
    return chunk or None


async def send(
    writer: asyncio.StreamWriter, payload: bytes, *, timeout: float = READ_SECONDS
) -> bool:
    """Write and drain within ``timeout``; False when the client is gone or stuck."""
    try:
        writer.write(payload)
        async with asyncio.timeout(timeout):
            await writer.drain()
    except (TimeoutError, ConnectionError, RuntimeError):
        return False
    return True


async def close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.close()
        async with asyncio.timeout(2.0):
            await writer.wait_closed()


async def open_tcp(
    name: str,
    host: str,
    port: int,
    handler: TcpHandler,
    *,
    ssl_context: Any = None,
    lifetime: float = CONNECTION_SECONDS,
) -> tuple[asyncio.Server, set[asyncio.Task[None]]]:
    """Listen on TCP and run ``handler`` on each connection, bounded in number and time.

    With ``ssl_context`` the handler talks TLS (``_tlsio``: failed handshakes get their
    alert, as from a real TLS stack).
    """
    tasks: set[asyncio.Task[None]] = set()

    async def with_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        streams = await tls_accept(reader, writer, ssl_context)
        if streams is None:
            return
        plain_reader, plain_writer, pump = streams
        try:
            await handler(plain_reader, plain_writer)
        finally:
            plain_writer.close()
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    serve_one = with_tls if ssl_context is not None else handler

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if len(tasks) >= MAX_CONNECTIONS:
            await close(writer)
            return
        if task is not None:
            tasks.add(task)
        try:
            async with asyncio.timeout(lifetime):
                await serve_one(reader, writer)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            writer.transport.abort()  # the emulator is stopping
        except Exception as exc:  # one bad connection never stops the emulator
            log(name, f"connection error: {type(exc).__name__}: {exc}")
        finally:
            if not writer.transport.is_closing():
                await close(writer)
            if task is not None:
                tasks.discard(task)

    server = await asyncio.start_server(
        guarded, host, port, limit=MAX_READ, reuse_address=True, backlog=1024
    )
    _announce(name, "tcp", server.sockets)
    return server, tasks


def bound_port(server: asyncio.Server) -> int:
    port: int = server.sockets[0].getsockname()[1]
    return port


async def hold(
    servers: Iterable[tuple[asyncio.Server, set[asyncio.Task[None]]]] = (),
    transports: Iterable[asyncio.BaseTransport] = (),
) -> None:
    """Keep servers running until cancelled, then close them and their connections."""
    servers = list(servers)
    transports = list(transports)
    try:
        await asyncio.Future()
    finally:
        for server, _ in servers:
            server.close()
        for transport in transports:
            transport.close()
        pending = [task for _, tasks in servers for task in tasks]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


async def serve_tcp(
    name: str,
    host: str,
    port: int,
    handler: TcpHandler,
    *,
    ssl_context: Any = None,
    lifetime: float = CONNECTION_SECONDS,
) -> None:
    """Accept TCP connections and run ``handler`` on each, bounded, until cancelled."""
    opened = await open_tcp(name, host, port, handler, ssl_context=ssl_context, lifetime=lifetime)
    await hold([opened])


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, name: str, responder: UdpResponder) -> None:
        self.name = name
        self.responder = responder
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram transport

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        if self.transport is None:
            return
        try:
            answer = self.responder(data[:MAX_READ], addr)
        except Exception as exc:  # a malformed datagram is dropped, like a real daemon
            log(self.name, f"dropped a datagram: {type(exc).__name__}: {exc}")
            return
        if answer is None:
            return
        packets = [answer] if isinstance(answer, bytes) else list(answer)
        for packet in packets[:16]:
            self.transport.sendto(packet, addr)

    def error_received(self, exc: Exception) -> None:
        log(self.name, f"socket error: {exc}")


async def open_udp(
    name: str, host: str, port: int, responder: UdpResponder
) -> asyncio.DatagramTransport:
    """Answer UDP datagrams with ``responder`` (at most 16 replies to each)."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _UdpProtocol(name, responder), local_addr=(host, port)
    )
    _announce(name, "udp", [transport.get_extra_info("socket")])
    return transport


async def serve_udp(name: str, host: str, port: int, responder: UdpResponder) -> None:
    """Answer UDP datagrams until cancelled."""
    transport = await open_udp(name, host, port, responder)
    await hold(transports=[transport])
