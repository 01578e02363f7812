"""An FTP server (RFC 959) whose greeting is configurable, e.g. ``220 (vsFTPd 2.3.4)``.

Speaks the control connection as vsftpd words it: USER, PASS, SYST, FEAT, PWD, QUIT.
Option ``anonymous`` ("false"): when true, USER anonymous/ftp logs in with any
password (anonymous FTP on) and may list (passive mode only) a small read-only area;
otherwise every login fails with ``530 Login incorrect.``. Nothing can be written.
It never implements any backdoor: a user name ending in ``:)`` (the vsftpd 2.3.4
backdoor trigger) is an ordinary failed login and nothing else listens. Data
connections are passive only (the server never connects out), one at a time, and
wait at most 10 s for the client.
"""

from __future__ import annotations

import asyncio

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import close, flag, log, read_line, send, serve_tcp

NAME = "ftp_banner"


#: The anonymous area's listing, in vsftpd's "ls -l" style (made up for the lab).
LISTING = (
    "drwxr-xr-x    2 ftp      ftp          4096 Apr 01  2024 pub\r\n"
    "-rw-r--r--    1 ftp      ftp           312 Apr 01  2024 README\r\n"
)
NAMES = "pub\r\nREADME\r\n"
DATA_SECONDS = 10.0


class PassiveChannel:
    """One passive-mode data connection: listen, accept one client, send, close."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.connected: asyncio.Future[asyncio.StreamWriter] | None = None

    async def open(self, address: str) -> int:
        await self.close()
        loop = asyncio.get_running_loop()
        connected: asyncio.Future[asyncio.StreamWriter] = loop.create_future()

        async def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if connected.done():
                writer.close()
                return
            connected.set_result(writer)

        self.connected = connected
        self.server = await asyncio.start_server(accepted, address, 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def send(self, payload: bytes) -> bool:
        if self.connected is None:
            return False
        try:
            async with asyncio.timeout(DATA_SECONDS):
                writer = await self.connected
        except TimeoutError:
            await self.close()
            return False
        await send(writer, payload)
        await close(writer)
        await self.close()
        return True

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        if self.connected is not None:
            if not self.connected.done():
                self.connected.cancel()
            elif not self.connected.cancelled():
                self.connected.result().close()  # a data connection nobody used
        self.connected = None


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
        passive = PassiveChannel()
        local = str(writer.get_extra_info("sockname")[0])
        try:
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
                    answer = (
                        "530 Can't change to another user."
                        if logged_in
                        else "331 Please specify the password."
                    )
                elif verb == "PASS":
                    if user is None:
                        answer = "503 Login with USER first."
                    else:
                        ok = anonymous and user.lower() in ("anonymous", "ftp")
                        log(NAME, f"login attempt: {'accepted' if ok else 'rejected'}")
                        logged_in = ok
                        answer = "230 Login successful." if ok else "530 Login incorrect."
                        user = user if ok else None
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
                elif verb == "CWD":
                    answer = (
                        "250 Directory successfully changed."
                        if argument.strip("/") in ("", "pub")
                        else "550 Failed to change directory."
                    )
                elif verb == "TYPE":
                    answer = "200 Switching to Binary mode."
                elif verb == "PASV" and ":" not in local:
                    data_port = await passive.open(local)
                    numbers = ",".join(local.split("."))
                    answer = (
                        f"227 Entering Passive Mode ({numbers},{data_port >> 8},{data_port & 255})."
                    )
                elif verb == "EPSV":
                    answer = f"229 Entering Extended Passive Mode (|||{await passive.open(local)}|)"
                elif verb in ("PORT", "EPRT"):
                    answer = "500 Illegal PORT command."  # active mode: no outgoing connections
                elif verb in ("LIST", "NLST"):
                    if passive.connected is None:
                        answer = "425 Use PORT or PASV first."
                    else:
                        await reply("150 Here comes the directory listing.")
                        sent = await passive.send((LISTING if verb == "LIST" else NAMES).encode())
                        answer = (
                            "226 Directory send OK."
                            if sent
                            else "425 Failed to establish connection."
                        )
                elif verb in ("RETR", "SIZE", "MDTM"):
                    answer = "550 Failed to open file."
                elif verb in ("STOR", "APPE", "DELE", "MKD", "RMD", "RNFR", "RNTO"):
                    answer = "550 Permission denied."
                else:
                    answer = "500 Unknown command."
                if not await reply(answer):
                    return
        finally:
            await passive.close()

    await serve_tcp(NAME, host, port, session)
