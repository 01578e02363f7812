"""A service that greets with megabytes of random bytes and then closes.

Options: ``megabytes`` (default 4, at most 64): how much it sends (MiB, fractions
allowed); ``prefix`` (default none) sent first, e.g. ``SSH-2.0-``; ``fill`` (default
``random``) or one character repeated, e.g. ``A``: with both, the giant banner
``SSH-2.0-AAAA…`` of a megabyte and no newline that a hostile host can send.
"""

from __future__ import annotations

import asyncio
import os

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import number, send, serve_tcp
from kenshin.lab.emulators._errors import EmulatorError

NAME = "garbage"
CHUNK = 64 * 1024


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    total = int(min(number(opts["megabytes"], "megabytes"), 64.0) * 1024 * 1024)
    prefix = opts["prefix"].encode("latin-1", "replace")[:1024]
    fill = opts["fill"]
    if fill != "random" and len(fill) != 1:
        raise EmulatorError("lab_emulators.bad_option", option="fill", value=fill)

    def chunk(size: int) -> bytes:
        return os.urandom(size) if fill == "random" else fill.encode("latin-1", "replace") * size

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        del reader
        if prefix and not await send(writer, prefix, timeout=30.0):
            return
        left = total
        while left > 0:
            size = min(CHUNK, left)
            if not await send(writer, chunk(size), timeout=30.0):
                return
            left -= size

    await serve_tcp(NAME, host, port, session)
