"""The checks' bounded network helpers, on the shared wire code of ``kenshin.net``.

Helpers take a ``CheckTarget`` rather than an address, so a check can only ever talk to
the open port the engine handed it — never to an address outside the scan's scope.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from kenshin.checks.base import CheckSettings, CheckStats, CheckTarget
from kenshin.net import http as net_http
from kenshin.net import stream as net_stream
from kenshin.net import udp as net_udp


@dataclass
class Connection:
    """The shared bounded stream (``kenshin.net.stream``) with the checks' caps and timeouts."""

    stream: net_stream.Connection
    settings: CheckSettings

    async def read(
        self, limit: int | None = None, timeout: float | None = None, idle: float = 0.3
    ) -> bytes:
        """What arrives within ``timeout``, ending early once the peer pauses for ``idle``."""
        wait = self.settings.read_timeout if timeout is None else timeout
        answer = await self.stream.read(
            wait, idle, limit or self.settings.response_limit, total_timeout=wait
        )
        return answer.data

    async def read_until(self, markers: tuple[bytes, ...], timeout: float | None = None) -> bytes:
        """Read until one of ``markers`` appears, the cap is reached, or time runs out."""
        return await self.stream.read_until(
            markers,
            self.settings.response_limit,
            self.settings.read_timeout if timeout is None else timeout,
        )

    async def send(self, data: bytes) -> None:
        await self.stream.send(data)


@contextlib.asynccontextmanager
async def connect(
    target: CheckTarget, settings: CheckSettings, stats: CheckStats, *, tls: bool = False
) -> AsyncIterator[Connection]:
    """One TCP (optionally TLS) connection to the target's open port, always closed."""
    stats.connections += 1
    stream = await net_stream.connect(
        target.address,
        target.number,
        timeout=settings.connect_timeout,
        tls=net_stream.observing_tls_context() if tls else None,
        limit=settings.response_limit,
        send_timeout=settings.read_timeout,
    )
    try:
        yield Connection(stream, settings)
    finally:
        await stream.close()


async def udp_exchange(
    target: CheckTarget,
    payload: bytes,
    settings: CheckSettings,
    stats: CheckStats,
    *,
    attempts: int = 2,
) -> bytes | None:
    """Send one datagram to the target's port and return the first reply, or None.

    A reply from another source port of the target counts (the socket is not connected)."""

    def sent() -> None:
        stats.connections += 1

    return await net_udp.exchange(
        target.address,
        target.number,
        payload,
        wait=settings.read_timeout,
        cap=settings.response_limit,
        attempts=attempts,
        on_send=sent,
    )


_NO_ANSWER = net_http.Response(0, (), b"")


async def http_get(
    target: CheckTarget,
    settings: CheckSettings,
    stats: CheckStats,
    path: str,
    headers: dict[str, str] | None = None,
) -> net_http.Response:
    """One HTTP/1.1 GET over TLS when identification saw TLS; status 0 when no HTTP
    answer came. Raises OSError/TimeoutError when the port does not take the connection."""
    message = net_http.request(
        "GET",
        path,
        target.address,
        target.number,
        user_agent="kenshin",
        headers=tuple((headers or {}).items()),
    )
    async with connect(target, settings, stats, tls=target.over_tls) as connection:
        response = await net_http.exchange(
            connection.stream,
            message,
            first_timeout=settings.read_timeout,
            idle_timeout=1.0,
            cap=settings.response_limit,
            total_timeout=settings.read_timeout,
        )
    return response or _NO_ANSWER
