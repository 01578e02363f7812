"""Fixtures: start an in-process TCP/UDP server on 127.0.0.1 for one test."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from kenshin.domain.scan import PortResult, PortState, Protocol
from kenshin.identify import IdentifySettings

from .servers import HOST, Handler, UdpResponder

FAST = IdentifySettings(
    connect_timeout=1.0,
    banner_wait=0.6,
    read_timeout=1.0,
    idle_timeout=0.1,
    port_timeout=12.0,
    max_probes=20,
)


@asynccontextmanager
async def tcp_server(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    server = await asyncio.start_server(handler, HOST, 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), timeout=2)


@asynccontextmanager
async def udp_server(responder: Callable[[bytes], bytes | None]) -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: UdpResponder(responder), local_addr=(HOST, 0)
    )
    port = transport.get_extra_info("sockname")[1]
    try:
        yield port
    finally:
        transport.close()


def open_tcp(port: int) -> PortResult:
    return PortResult(Protocol.TCP, port, PortState.OPEN)


def open_udp(port: int) -> PortResult:
    return PortResult(Protocol.UDP, port, PortState.OPEN)
