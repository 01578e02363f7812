"""A VNC server's RFB handshake (RFC 6143), version 3.8 (3.3 and 3.7 clients too).

Option ``auth`` = none (security type 1: anyone gets the ServerInit with the desktop
name — what an exposed, unprotected VNC looks like) | vnc (type 2, VNC Authentication:
a 16-byte challenge; every response fails with "Authentication failed", since the lab
never lets anyone in). Option ``name`` is the desktop name. No framebuffer updates are
ever sent.
"""

from __future__ import annotations

import asyncio
import os
import struct

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import choice, log, read_exact, send, serve_tcp

NAME = "vnc"
NONE, VNC_AUTH = 1, 2
#: 32 bits per pixel, depth 24, little endian, true colour, 255/255/255, shifts 16/8/0
PIXEL_FORMAT = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    auth = NONE if choice(opts["auth"], "auth", ("none", "vnc")) == "none" else VNC_AUTH
    desktop = opts["name"].encode()

    async def server_init(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await read_exact(reader, 1) is None:  # ClientInit (shared flag)
            return
        init = struct.pack(">HH", 1024, 768) + PIXEL_FORMAT + struct.pack(">I", len(desktop))
        await send(writer, init + desktop)
        await read_exact(reader, 1, timeout=10.0)

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not await send(writer, b"RFB 003.008\n"):
            return
        version = await read_exact(reader, 12)
        if version is None or not version.startswith(b"RFB 003."):
            return
        minor = int(version[8:11]) if version[8:11].isdigit() else 3
        if minor < 7:
            await send(writer, struct.pack(">I", auth))
            chosen = auth
        else:
            await send(writer, bytes([1, auth]))
            picked = await read_exact(reader, 1)
            if picked is None:
                return
            chosen = picked[0]
            if chosen != auth:
                reason = b"Security type not supported"
                await send(writer, struct.pack(">I", 1) + struct.pack(">I", len(reason)) + reason)
                return
        if chosen == NONE:
            if minor >= 8:
                await send(writer, struct.pack(">I", 0))
            log(NAME, "client admitted without authentication")
            await server_init(reader, writer)
            return
        await send(writer, os.urandom(16))
        if await read_exact(reader, 16) is None:
            return
        log(NAME, "VNC authentication attempt: rejected")
        result = struct.pack(">I", 1)
        if minor >= 8:
            reason = b"Authentication failed"
            result += struct.pack(">I", len(reason)) + reason
        await send(writer, result)

    await serve_tcp(NAME, host, port, session)
