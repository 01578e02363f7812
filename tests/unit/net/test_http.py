"""HTTP/1.x on the bounded stream: the one reader identification and the checks share.

A message ends where its framing says (Content-Length, the last chunk), not at the
peer's silence; caps and deadlines hold against hosts that never stop or never finish.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from kenshin.net import http, stream

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _get(
    handler: Handler, *, cap: int = 65_536, idle: float = 5.0, total: float = 10.0
) -> tuple[http.Response | None, float]:
    """One GET against ``handler`` on 127.0.0.1: the answer and how long it took."""

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(guarded, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        connection = await stream.connect("127.0.0.1", port, timeout=2.0)
        started = time.monotonic()
        try:
            response = await http.exchange(
                connection,
                http.request("GET", "/", "127.0.0.1", port, user_agent="test"),
                first_timeout=2.0,
                idle_timeout=idle,
                cap=cap,
                total_timeout=total,
            )
        finally:
            await connection.close()
        return response, time.monotonic() - started
    finally:
        server.close()
        await server.wait_closed()


def _then_hold(answer: bytes) -> Handler:
    """Send ``answer``, then keep the connection open (a keep-alive server)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(answer)
        await writer.drain()
        await asyncio.sleep(8)

    return handle


def test_a_whole_content_length_answer_ends_the_read_without_waiting_for_silence() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    response, took = asyncio.run(_get(_then_hold(answer)))
    assert response is not None
    assert response.body == b"hello"
    assert took < 2.0  # the idle timeout is 5 s


def test_the_last_chunk_ends_the_read_and_the_body_is_dechunked() -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    response, took = asyncio.run(_get(_then_hold(answer)))
    assert response is not None
    assert response.body == b"abcdefg"
    assert took < 2.0


def test_an_endless_body_stops_at_the_cap_and_a_trickle_at_the_deadline() -> None:
    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n\r\n")
        while True:
            writer.write(b"A" * 4096)
            await writer.drain()

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(100):
            writer.write(b"A")
            await writer.drain()
            await asyncio.sleep(0.1)

    response, _ = asyncio.run(_get(endless, cap=10_000))
    assert response is not None
    assert len(response.head) + len(response.body) < 10_000
    response, took = asyncio.run(_get(trickle, total=1.5))
    assert response is not None
    assert 0 < len(response.body) < 100
    assert took < 2.5


def test_thousands_of_tiny_chunks_arriving_byte_by_byte_cost_little() -> None:
    """Each byte is looked at once: a hostile host's one-byte chunks stay cheap."""
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    data = head + b"1\r\nx\r\n" * 10_000 + b"0\r\n\r\n"
    framing = http._Framing(head_only=False)
    started = time.monotonic()
    whole = [framing(data[i : i + 1]) for i in range(len(data))]
    assert time.monotonic() - started < 5.0
    assert whole.index(True) == len(data) - 1
    parsed = http.parse(data)
    assert parsed is not None
    assert parsed.body == b"x" * 10_000


def test_parse_is_lenient_about_line_ends_and_strict_about_the_status() -> None:
    loose = http.parse(b"HTTP/1.0 200 OK\nServer: Box\n\nbody")
    assert loose is not None
    assert loose.header("SERVER") == "Box"
    assert loose.body == b"body"
    assert http.parse(b"HTTP/1.1 2000 OK\r\n\r\n") is None
    assert http.parse(b"HTTP/1.1 \xb2\xb2\xb2 OK\r\n\r\n") is None
    assert http.parse(b"SSH-2.0-OpenSSH\r\n") is None
    cut = http.parse(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef")
    assert cut is not None
    assert cut.body == b"abc"
    broken = http.parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\nzz\r\n")
    assert broken is not None
    assert broken.body == b"ab"
    short = http.parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc")
    assert short is not None
    assert short.body == b"abc"


def test_the_request_brackets_ipv6_and_counts_its_body() -> None:
    text = http.request(
        "POST", "/x", "fe80::1", 8443, user_agent="t", headers=(("A", "b"),), body=b"hi"
    )
    assert text == (
        b"POST /x HTTP/1.1\r\nHost: [fe80::1]:8443\r\nUser-Agent: t\r\nAccept: */*\r\n"
        b"A: b\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
    )


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/login\r\nX-Injected: 1", ()),
        ("/ok", (("Cookie", "a=1\nX-Injected: 1"),)),
        ("/ok", (("X\r\nInjected", "1"),)),
    ],
)
def test_a_part_that_would_end_a_line_is_refused(
    path: str, headers: tuple[tuple[str, str], ...]
) -> None:
    """A redirect's Location comes from the host under test: it cannot add a header."""
    with pytest.raises(ValueError, match="line break"):
        http.request("GET", path, "198.18.0.1", 80, user_agent="t", headers=headers)
