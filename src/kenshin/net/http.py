"""HTTP/1.x over the bounded stream: one request writer, one response reader and parser.

Identification and the checks both GET pages from hosts that may be hostile or broken:
the answer is read within the caller's byte cap and deadlines (``stream.Connection.read``)
and ends as soon as the message is whole (Content-Length reached, last chunk seen), or
at the peer's close. Parsing is lenient where old devices are sloppy (bare LF line ends,
folded header lines) and strict about the status line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kenshin.net.stream import Connection

_BLANK_LINE = re.compile(rb"\n\r?\n")  # the end of a head (or of a chunked body's trailers)
_HEX = re.compile(rb"[0-9A-Fa-f]+")
_SIZE_LINE_MAX = 1024  # a chunk-size line (with extensions) longer than this is not HTTP


@dataclass(frozen=True)
class Response:
    """One HTTP answer. Header names are lower-case; folded header lines are joined."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    head: bytes = b""  # the status line and header lines as they arrived

    def header(self, name: str) -> str:
        """Every value of header ``name`` (any case), joined with ", "; "" when absent."""
        name = name.lower()
        return ", ".join(v for k, v in self.headers if k == name)


def request(
    method: str,
    path: str,
    address: str,
    port: int,
    *,
    user_agent: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
) -> bytes:
    """An HTTP/1.1 request that asks the server to close after answering.

    A path or header that would end a line is refused (``ValueError``): a redirect's
    ``Location`` comes from the host under test and must not add lines of its own.
    """
    for text in (method, path, *(part for header in headers for part in header)):
        if "\r" in text or "\n" in text:
            raise ValueError(f"line break in an HTTP request part: {text[:60]!r}")
    host = f"[{address}]" if ":" in address else address
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers)
    if body:
        extra += f"Content-Length: {len(body)}\r\n"
    text = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {user_agent}\r\n"
        f"Accept: */*\r\n{extra}Connection: close\r\n\r\n"
    )
    return text.encode("ascii", "replace") + body


def parse(data: bytes) -> Response | None:
    """An HTTP/1.x answer, or None when ``data`` does not start with one."""
    if not data.startswith(b"HTTP/"):
        return None
    end = _BLANK_LINE.search(data)
    head, body = (data[: end.start()].rstrip(b"\r"), data[end.end() :]) if end else (data, b"")
    lines = [line.rstrip("\r") for line in head.decode("latin-1").split("\n")]
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or not (len(parts[1]) == 3 and parts[1].isascii() and parts[1].isdigit()):
        return None
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # obs-fold: continues the previous value
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}".strip())
            continue
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip().lower(), value.strip()))
    response = Response(int(parts[1]), tuple(headers), body, head)
    if "chunked" in response.header("transfer-encoding").lower():
        chunks = _Chunks()
        chunks.feed(body, final=True)
        body = bytes(chunks.body)
    else:
        length = _content_length(response)
        body = body[:length] if length is not None else body
    return Response(response.status, response.headers, body, head)


def _content_length(response: Response) -> int | None:
    value = response.header("content-length").split(",")[0].strip()
    return int(value) if value.isascii() and value.isdigit() else None


@dataclass
class _Chunks:
    """A chunked body walked as it arrives, each byte looked at once (a hostile host may
    send thousands of tiny chunks)."""

    at: int = 0  # where the next chunk-size line (or the trailers' search) starts
    body: bytearray = field(default_factory=bytearray)  # the chunks' data so far
    ended: bool = False  # the last chunk came, or the framing broke: read no further
    trailers: bool = False  # the last chunk came; its trailer lines end at a blank line

    def feed(self, data: bytes | bytearray, *, final: bool = False) -> None:
        """Take in the whole chunks of ``data`` (the answer so far) not yet taken; with
        ``final`` (nothing more will come), also what arrived of a chunk cut short."""
        while not self.ended:
            if self.trailers:
                self.ended = _BLANK_LINE.search(data, self.at) is not None
                self.at = max(self.at, len(data) - 2)
                return
            line_end = data.find(b"\n", self.at, self.at + _SIZE_LINE_MAX)
            if line_end < 0:
                self.ended = len(data) - self.at >= _SIZE_LINE_MAX
                return
            digits = bytes(data[self.at : line_end]).split(b";")[0].strip()
            if _HEX.fullmatch(digits) is None:
                self.ended = True
                return
            size = int(digits, 16)
            if size == 0:
                self.trailers, self.at = True, line_end
                continue
            start = line_end + 1
            after = start + size
            if data[after : after + 2] == b"\r\n":
                after += 2
            elif data[after : after + 1] == b"\n":
                after += 1
            elif len(data) < after + 2:  # the chunk (or its line end) is still coming
                if final:
                    self.body += data[start : start + size]
                return
            else:
                self.ended = True
            self.body += data[start : start + size]
            self.at = after


class _Framing:
    """Whether the bytes read so far make a whole HTTP message, fed chunk by chunk."""

    def __init__(self, *, head_only: bool) -> None:
        self.head_only = head_only
        self.data = bytearray()
        self.body_at = -1
        self.length: int | None = None
        self.chunks: _Chunks | None = None

    def __call__(self, piece: bytes) -> bool:
        self.data += piece
        if self.body_at < 0:
            end = _BLANK_LINE.search(self.data, max(0, len(self.data) - len(piece) - 2))
            if end is None:
                return False
            self.body_at = end.end()
            response = parse(bytes(self.data[: self.body_at]))
            if response is None:  # not HTTP: read on until the peer stops
                return False
            if self.head_only or response.status in (204, 304):
                return True
            if "chunked" in response.header("transfer-encoding").lower():
                self.chunks = _Chunks(at=self.body_at)
            else:
                self.length = _content_length(response)
        if self.chunks is not None:
            self.chunks.feed(self.data)
            return self.chunks.ended
        return self.length is not None and len(self.data) - self.body_at >= self.length


async def exchange(
    connection: Connection,
    message: bytes,
    *,
    first_timeout: float,
    idle_timeout: float,
    cap: int,
    total_timeout: float,
    head_only: bool = False,
) -> Response | None:
    """Send ``message`` and read the answer: at most ``cap`` bytes, within the timeouts
    (as ``Connection.read``), ending early once the message is whole. None when the
    request could not be sent or what came back is not HTTP."""
    if not await connection.send(message):
        return None
    answer = await connection.read(
        first_timeout,
        idle_timeout,
        cap,
        total_timeout=total_timeout,
        until=_Framing(head_only=head_only),
    )
    return parse(answer.data)
