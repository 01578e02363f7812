"""An ordinary line-based service: the hardened twin of ``bind_shell``.

A small status protocol in the style of SMTP/FTP replies (three-digit codes): greets
with ``220 <name> status service ready``, answers ``HELP``, ``STATUS``, ``NOOP`` and
``QUIT``; anything else — including shell commands such as ``echo`` — gets
``500 Unknown command``. It must never look like a shell. Option ``name``.
"""

from __future__ import annotations

import asyncio

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import read_line, send, serve_tcp

NAME = "line_service"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    name = opts["name"]

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not await send(writer, f"220 {name} status service ready\r\n".encode()):
            return
        for _ in range(100):
            line = await read_line(reader, limit=1024, timeout=60.0)
            if line is None:
                return
            verb = line.decode("utf-8", "replace").strip().split(" ")[0].upper()
            if verb == "QUIT":
                await send(writer, b"221 Bye\r\n")
                return
            reply = {
                "HELP": "214 Commands: HELP STATUS NOOP QUIT",
                "STATUS": "211 All systems nominal",
                "NOOP": "200 OK",
            }.get(verb, "500 Unknown command")
            if not await send(writer, (reply + "\r\n").encode()):
                return

    await serve_tcp(NAME, host, port, session)
