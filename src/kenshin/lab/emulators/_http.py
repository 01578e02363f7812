"""A small HTTP/1.1 server for the emulators, writing headers exactly as given.

Real appliances are recognised by the exact headers they send (names, order, odd values
like FortiGate's ``Server: xxxxxxxx-xxxxx``), so responses carry a header list that is
written as is; only ``Date``, ``Content-Length`` and ``Connection`` are added when the
handler did not set them. Requests are bounded: request line and headers ≤ 32 KiB,
100 headers, a body ≤ 64 KiB, 100 requests per connection, 15 s between requests.
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from kenshin.lab.emulators._common import (
    READ_SECONDS,
    close,
    read_exact,
    read_line,
    send,
    serve_tcp,
)

MAX_HEADER_BYTES = 32 * 1024
MAX_HEADERS = 100
MAX_BODY = 64 * 1024
MAX_REQUESTS = 100

REASONS = {
    200: "OK",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    peer: str = ""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    def header(self, name: str, default: str = "") -> str:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return default

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("latin-1"), keep_blank_values=True)


@dataclass
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    reason: str | None = None

    def has(self, name: str) -> bool:
        return any(key.lower() == name.lower() for key, _ in self.headers)


Handler = Callable[[Request], Awaitable[Response] | Response]


@dataclass(frozen=True)
class Style:
    """How a server family writes its answers, beyond the headers a handler gives.

    ``echo_http10``: answer an HTTP/1.0 request with an HTTP/1.0 status line (Go's
    net/http, Netty) instead of HTTP/1.1 (Apache, nginx, appliances). ``date``: where the
    server adds its Date header ("first", "last" = just before Content-Length as Go does,
    or "none" as Netty/Elasticsearch). ``connection``: "always" writes Connection:
    Keep-Alive/close; "close-only" writes it only when an HTTP/1.1 client asked to close.
    ``length_header``: the spelling of Content-Length (Netty writes it in lower case).
    """

    echo_http10: bool = False
    date: Literal["first", "last", "none"] = "first"
    connection: Literal["always", "close-only"] = "always"
    length_header: str = "Content-Length"


APPLIANCE = Style()
GO = Style(echo_http10=True, date="last", connection="close-only")
NETTY = Style(
    echo_http10=True, date="none", connection="close-only", length_header="content-length"
)


def http_date(timestamp: float | None = None) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


async def _read_request(reader: asyncio.StreamReader, peer: str) -> Request | Response | None:
    line = await read_line(reader, limit=8192, timeout=READ_SECONDS)
    while line == b"":  # tolerate blank lines between requests (RFC 9112 §2.2)
        line = await read_line(reader, limit=8192, timeout=READ_SECONDS)
    if line is None:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return Response(
            400, [("Content-Type", "text/html")], b"<html><body>Bad Request</body></html>"
        )
    method, target, version = parts
    headers: list[tuple[str, str]] = []
    total = len(line)
    while True:
        raw = await read_line(reader, limit=8192, timeout=READ_SECONDS)
        if raw is None:
            return None
        if raw == b"":
            break
        total += len(raw)
        if total > MAX_HEADER_BYTES or len(headers) >= MAX_HEADERS:
            return Response(
                400, [("Content-Type", "text/html")], b"<html><body>Bad Request</body></html>"
            )
        name, _, value = raw.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    request = Request(method.upper(), target, version, tuple(headers), b"", peer)
    length_text = request.header("Content-Length")
    body = b""
    if length_text:
        try:
            length = int(length_text)
        except ValueError:
            return Response(400, [("Content-Type", "text/html")], b"")
        if length > MAX_BODY or length < 0:
            return Response(413, [("Content-Type", "text/html")], b"")
        body = await read_exact(reader, length) or b""
    elif request.header("Transfer-Encoding"):
        return Response(411, [("Content-Type", "text/html")], b"")
    return Request(method.upper(), target, version, tuple(headers), body, peer)


def encode(
    response: Response,
    *,
    head: bool,
    keep_alive: bool,
    request_version: str = "HTTP/1.1",
    style: Style = APPLIANCE,
) -> bytes:
    reason = response.reason or REASONS.get(response.status, "Unknown")
    version = "HTTP/1.0" if style.echo_http10 and request_version == "HTTP/1.0" else "HTTP/1.1"
    headers = list(response.headers)
    if style.date == "first" and not response.has("Date"):
        headers.insert(0, ("Date", http_date()))
    if style.date == "last" and not response.has("Date"):
        headers.append(("Date", http_date()))
    if not response.has("Content-Length") and response.status not in (204, 304):
        headers.append((style.length_header, str(len(response.body))))
    if not response.has("Connection"):
        if style.connection == "always":
            headers.append(("Connection", "Keep-Alive" if keep_alive else "close"))
        elif not keep_alive and request_version == "HTTP/1.1":
            headers.append(("Connection", "close"))
    head_bytes = f"{version} {response.status} {reason}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers
    )
    payload = head_bytes.encode("latin-1") + b"\r\n"
    if not head and response.status not in (204, 304):
        payload += response.body
    return payload


async def serve_http(
    name: str,
    host: str,
    port: int,
    handler: Handler,
    *,
    ssl_context: Any = None,
    style: Style = APPLIANCE,
) -> None:
    """Serve HTTP/1.1 (over TLS when ``ssl_context`` is given) until cancelled."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer_info = writer.get_extra_info("peername")
        peer = str(peer_info[0]) if peer_info else ""
        for _ in range(MAX_REQUESTS):
            parsed = await _read_request(reader, peer)
            if parsed is None:
                return
            if isinstance(parsed, Response):
                await send(writer, encode(parsed, head=False, keep_alive=False, style=style))
                return
            request = parsed
            outcome = handler(request)
            response = await outcome if inspect.isawaitable(outcome) else outcome
            keep_alive = (
                request.header("Connection").lower() != "close" and request.version == "HTTP/1.1"
            )
            payload = encode(
                response,
                head=request.method == "HEAD",
                keep_alive=keep_alive,
                request_version=request.version,
                style=style,
            )
            if not await send(writer, payload):
                return
            if not keep_alive:
                return
        await close(writer)

    await serve_tcp(name, host, port, connection, ssl_context=ssl_context)
