"""A "TLS" port that answers a ClientHello with junk instead of a ServerHello.

It waits for the client's first bytes (a TLS record, RFC 8446 §5.1), then sends option
``bytes`` (default 4096) random bytes that start with a plausible-looking but invalid
record header, and closes.
"""

from __future__ import annotations

import asyncio
import os

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import number, read_some, send, serve_tcp

NAME = "tls_nonsense"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    size = int(min(number(opts["bytes"], "bytes"), 1024 * 1024))

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await read_some(reader, limit=16 * 1024) is None:
            return
        # content type 0x16 (handshake) with an impossible version and length, then noise
        await send(writer, b"\x16\x09\x09\xff\xff" + os.urandom(max(0, size - 5)))

    await serve_tcp(NAME, host, port, session)
