"""A tarpit: accepts TCP connections and never sends a byte, holding them open.

Option ``hold`` (seconds, default 600): how long each connection is held at most.
What a client sends is read and dropped (bounded), so its buffers never fill.
"""

from __future__ import annotations

import asyncio

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import number, serve_tcp

NAME = "tarpit"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    hold_for = number(opts["hold"], "hold")

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        del writer
        while await reader.read(4096):
            pass  # swallow input, say nothing; the lifetime bound ends it

    await serve_tcp(NAME, host, port, session, lifetime=hold_for)
