"""A fake bind shell: greets with a root prompt, answers ``echo <marker>`` and ``exit``.

What a backdoor listener (``nc -l -e /bin/sh`` style, with an interactive prompt) looks
like from outside. It NEVER executes anything: ``echo`` prints its argument back after
removing shell quoting, ``exit`` closes, every other command gets the shell's
"not found" line. Option ``prompt`` (default ``root@localhost:~# ``).
"""

from __future__ import annotations

import asyncio
import shlex

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import log, read_line, send, serve_tcp

NAME = "bind_shell"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    prompt = opts["prompt"].encode()

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not await send(writer, prompt):
            return
        for _ in range(100):
            line = await read_line(reader, limit=1024, timeout=60.0)
            if line is None:
                return
            text = line.decode("utf-8", "replace").strip()
            log(NAME, f"received a {len(text)}-character command")
            if text in ("exit", "logout"):
                return
            if text == "echo" or text.startswith("echo "):
                try:
                    words = shlex.split(text[4:])
                except ValueError:
                    words = text[5:].split()
                reply = " ".join(words) + "\n"
            elif text:
                command = text.split()[0]
                reply = f"sh: 1: {command}: not found\n"
            else:
                reply = ""
            if not await send(writer, reply.encode() + prompt):
                return

    await serve_tcp(NAME, host, port, session)
