"""Telnet (RFC 854) option negotiation and line reading with IAC commands filtered out."""

from __future__ import annotations

import asyncio

from kenshin.lab.emulators._common import READ_SECONDS, send
from kenshin.net import telnet

MAX_LINE = 1024


def negotiation(entries: list[list[object]]) -> bytes:
    """The IAC sequence for ``[[command, option], ...]`` as the emulator data writes it."""
    return telnet.negotiation([(str(cmd), int(str(opt))) for cmd, opt in entries])


class TelnetSession:
    """Reads user input from a Telnet client, answering its option requests politely."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, offered: bytes
    ) -> None:
        self.reader = reader
        self.writer = writer
        offers = telnet.parse(offered).requests
        self.will = {option for verb, option in offers if verb == telnet.WILL}
        self.do = {option for verb, option in offers if verb == telnet.DO}
        self.pending = b""
        self.replies = bytearray()
        self.text = bytearray()

    def _filter(self, chunk: bytes) -> bytes:
        """Strip IAC sequences from ``chunk`` (keeping an incomplete one for later)."""
        parsed = telnet.parse(self.pending + chunk, keep_partial=True)
        self.pending = parsed.rest
        self.replies += telnet.refusals(parsed.requests, will=self.will, do=self.do)
        return parsed.text

    async def read_line(self, *, echo: bool, timeout: float = READ_SECONDS) -> bytes | None:
        """One input line (CR LF, CR NUL or LF ends it); None on EOF or timeout."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    line = await self._take_line(echo)
                    if line is not None:
                        return line
                    chunk = await self.reader.read(512)
                    if not chunk:
                        return None
                    text = self._filter(chunk)
                    if self.replies:
                        await send(self.writer, bytes(self.replies))
                        self.replies = bytearray()
                    if echo and text:
                        await send(
                            self.writer,
                            text.replace(b"\r", b"").replace(b"\n", b"").replace(b"\x00", b""),
                        )
                    self.text += text
                    if len(self.text) > 4 * MAX_LINE:
                        del self.text[: len(self.text) - 4 * MAX_LINE]
        except (TimeoutError, ConnectionError):
            return None

    async def _take_line(self, echo: bool) -> bytes | None:
        for index, byte in enumerate(self.text):
            if byte in (13, 10):
                raw = bytes(self.text[:index])
                rest = self.text[index + 1 :]
                while rest and rest[0] in (10, 0):
                    del rest[0]
                self.text = bytearray(rest)
                if echo:
                    await send(self.writer, b"\r\n")
                line = bytearray()
                for char in raw:
                    if char in (8, 127):
                        if line:
                            line.pop()
                    elif len(line) < MAX_LINE:
                        line.append(char)
                return bytes(line)
        return None
