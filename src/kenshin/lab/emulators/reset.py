"""Accepts a TCP connection and resets it at once (SO_LINGER with a zero timeout → RST)."""

from __future__ import annotations

import asyncio
import socket
import struct

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import serve_tcp

NAME = "reset"


async def serve(host: str, port: int, **options: str) -> None:
    settings(NAME, options)

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        del reader
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    await serve_tcp(NAME, host, port, session)
