"""A TFTP server (RFC 1350) on UDP 69.

A read request (RRQ) for a file it has gets DATA block 1 (the whole small file), for
anything else ERROR 1 "File not found"; write requests get ERROR 2 "Access violation".
Like tftpd-hpa and other real servers, it answers from a *new* ephemeral port (the
transfer identifier, RFC 1350 §4), unless option ``reply_port`` = same. Option
``files``: comma-separated names it serves (default ``startup-config``), each with a
short made-up router configuration as content.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import choice, hold, log, open_udp

NAME = "tftp"
RRQ, WRQ, DATA, ERROR = 1, 2, 3, 5
CONTENT = b"! lab router configuration (made up for the kenshin test lab)\nhostname lab-router\n"


def answer_to(request: bytes, files: set[str]) -> bytes | None:
    if len(request) < 4:
        return None
    (opcode,) = struct.unpack_from(">H", request, 0)
    parts = request[2:].split(b"\x00")
    if opcode not in (RRQ, WRQ) or len(parts) < 2:
        return None
    filename = parts[0].decode("latin-1")
    if opcode == WRQ:
        return struct.pack(">HH", ERROR, 2) + b"Access violation\x00"
    if filename.lstrip("/") in files:
        return struct.pack(">HH", DATA, 1) + CONTENT
    return struct.pack(">HH", ERROR, 1) + b"File not found\x00"


async def _reply_from_new_port(host: str, payload: bytes, peer: tuple[Any, ...]) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=(host, 0)
    )
    try:
        transport.sendto(payload, peer)
    finally:
        transport.close()


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    files = {name.strip() for name in opts["files"].split(",") if name.strip()}
    same_port = choice(opts["reply_port"], "reply_port", ("new", "same")) == "same"
    pending: set[asyncio.Task[None]] = set()

    def respond(datagram: bytes, peer: tuple[Any, ...]) -> bytes | None:
        payload = answer_to(datagram, files)
        if payload is None:
            return None
        log(NAME, f"request from {peer[0]} answered with opcode {payload[1]}")
        if same_port:
            return payload
        if len(pending) < 64:
            task = asyncio.get_running_loop().create_task(_reply_from_new_port(host, payload, peer))
            pending.add(task)
            task.add_done_callback(pending.discard)
        return None

    transport = await open_udp(NAME, host, port, respond)
    try:
        await hold(transports=[transport])
    finally:
        for task in list(pending):
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
