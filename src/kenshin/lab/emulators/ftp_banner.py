"""An FTP server (RFC 959) whose greeting is configurable, e.g. ``220 (vsFTPd 2.3.4)``.

Speaks the control connection as vsftpd words it: USER, PASS, SYST, FEAT, PWD, QUIT.
Option ``anonymous`` ("false"): when true, USER anonymous/ftp logs in with any
password (anonymous FTP on); otherwise every login fails with ``530 Login incorrect.``.
It never implements any backdoor: a user name ending in ``:)`` (the vsftpd 2.3.4
backdoor trigger) is an ordinary failed login and nothing else listens. No data
connections are opened (LIST/RETR answer ``425 Use PORT or PASV first.``).
"""

from __future__ import annotations

import asyncio

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import flag, log, read_line, send, serve_tcp

NAME = "ftp_banner"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    banner = opts["banner"]
    anonymous = flag(opts["anonymous"], "anonymous")

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(text: str) -> bool:
            return await send(writer, (text + "\r\n").encode())

        if not await reply(banner):
            return
        user: str | None = None
        logged_in = False
        for _ in range(100):
            line = await read_line(reader, limit=1024, timeout=60.0)
            if line is None:
                return
            verb, _, argument = line.decode("utf-8", "replace").strip().partition(" ")
            verb = verb.upper()
            if verb == "QUIT":
                await reply("221 Goodbye.")
                return
            if verb == "USER":
                user = argument
                if logged_in:
                    answer = "530 Can't change to another user."
                elif anonymous and user.lower() in ("anonymous", "ftp"):
                    answer = "331 Please specify the password."
                else:
                    answer = "331 Please specify the password."
            elif verb == "PASS":
                if user is None:
                    answer = "503 Login with USER first."
                else:
                    ok = anonymous and user.lower() in ("anonymous", "ftp")
                    log(NAME, f"login attempt: {'accepted' if ok else 'rejected'}")
                    logged_in = ok
                    answer = "230 Login successful." if ok else "530 Login incorrect."
                    user = None if not ok else user
            elif verb == "SYST":
                answer = "215 UNIX Type: L8"
            elif verb == "FEAT":
                answer = (
                    "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n"
                    " REST STREAM\r\n SIZE\r\n TVFS\r\n211 End"
                )
            elif not logged_in:
                answer = "530 Please login with USER and PASS."
            elif verb == "PWD":
                answer = '257 "/" is the current directory'
            elif verb in ("LIST", "NLST", "RETR", "STOR"):
                answer = "425 Use PORT or PASV first."
            elif verb in ("PASV", "EPSV", "PORT", "EPRT"):
                answer = "500 Data connections are not offered here."
            else:
                answer = "500 Unknown command."
            if not await reply(answer):
                return

    await serve_tcp(NAME, host, port, session)
