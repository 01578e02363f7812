"""A service that sends its banner one byte at a time, ``delay`` seconds apart.

Options: ``banner`` (default an SSH banner line), ``delay`` (seconds, default 1).
The connection's lifetime grows with the banner (bounded at 30 minutes).
"""

from __future__ import annotations

import asyncio

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import number, send, serve_tcp

NAME = "slow"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    delay = number(opts["delay"], "delay")
    banner = opts["banner"].encode().decode("unicode_escape").encode("latin-1")

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        del reader
        for index in range(len(banner)):
            if not await send(writer, banner[index : index + 1]):
                return
            await asyncio.sleep(delay)

    lifetime = min(1800.0, (len(banner) + 2) * max(delay, 0.01) + 30.0)
    await serve_tcp(NAME, host, port, session, lifetime=lifetime)
