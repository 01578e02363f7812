"""A service that greets with megabytes of random bytes and then closes.

Option ``megabytes`` (default 4, at most 64): how much it sends (MiB, fractions allowed).
"""

from __future__ import annotations

import asyncio
import os

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import number, send, serve_tcp

NAME = "garbage"
CHUNK = 64 * 1024


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    total = int(min(number(opts["megabytes"], "megabytes"), 64.0) * 1024 * 1024)

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        del reader
        left = total
        while left > 0:
            size = min(CHUNK, left)
            if not await send(writer, os.urandom(size), timeout=30.0):
                return
            left -= size

    await serve_tcp(NAME, host, port, session)
