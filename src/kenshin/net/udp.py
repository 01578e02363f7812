"""One UDP request and its answer, bounded in tries, time and size.

The socket is not ``connect()``ed: a connected socket drops datagrams from any other
source port, and a TFTP server (RFC 1350 §4) or a multi-homed agent answers from a new
one. Instead every datagram is filtered by its source address, so only the probed host
is heard.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from ipaddress import ip_address


def _same_host(source: object, host: str) -> bool:
    try:
        return ip_address(str(source).split("%", 1)[0]) == ip_address(host)
    except ValueError:
        return False


class _Datagrams(asyncio.DatagramProtocol):
    """Keeps the first few datagrams from ``host``, whatever their source port."""

    def __init__(self, cap: int, host: str) -> None:
        self.cap = cap
        self.host = host
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=8)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if addr and _same_host(addr[0], self.host) and not self.queue.full():
            self.queue.put_nowait(data[: self.cap])


async def exchange(
    address: str,
    port: int,
    payload: bytes,
    *,
    wait: float,
    cap: int,
    attempts: int = 1,
    on_send: Callable[[], None] | None = None,
) -> bytes | None:
    """Send ``payload`` up to ``attempts`` times, ``wait`` seconds each; the first answer."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: _Datagrams(cap, address),
            local_addr=("::" if family == socket.AF_INET6 else "0.0.0.0", 0),  # noqa: S104
            family=family,
        )
    except OSError:
        return None
    try:
        for _attempt in range(max(1, attempts)):
            if on_send is not None:
                on_send()
            try:
                transport.sendto(payload, (address, port))
            except OSError:
                return None
            try:
                return await asyncio.wait_for(protocol.queue.get(), timeout=wait)
            except TimeoutError:
                continue
        return None
    finally:
        transport.close()
