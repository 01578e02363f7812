"""Telnet (RFC 854) option negotiation and line reading with IAC commands filtered out."""

from __future__ import annotations

import asyncio

from kenshin.lab.emulators._common import READ_SECONDS, send

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
COMMANDS = {"WILL": WILL, "WONT": WONT, "DO": DO, "DONT": DONT}
MAX_LINE = 1024


def negotiation(entries: list[list[object]]) -> bytes:
    """The IAC sequence for ``[[command, option], ...]``."""
    return b"".join(bytes([IAC, COMMANDS[str(cmd)], int(str(opt))]) for cmd, opt in entries)


class TelnetSession:
    """Reads user input from a Telnet client, answering its option requests politely."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, offered: bytes
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.will = {offered[i + 2] for i in range(0, len(offered), 3) if offered[i + 1] == WILL}
        self.do = {offered[i + 2] for i in range(0, len(offered), 3) if offered[i + 1] == DO}
        self.pending = bytearray()
        self.replies = bytearray()
        self.text = bytearray()

    def _filter(self, chunk: bytes) -> bytes:
        """Strip IAC sequences from ``chunk`` (keeping an incomplete one for later)."""
        data = self.pending + chunk
        self.pending = bytearray()
        out = bytearray()
        i = 0
        while i < len(data):
            byte = data[i]
            if byte != IAC:
                out.append(byte)
                i += 1
                continue
            if i + 1 >= len(data):
                self.pending = bytearray(data[i:])
                break
            command = data[i + 1]
            if command == IAC:
                out.append(IAC)
                i += 2
            elif command in (WILL, WONT, DO, DONT):
                if i + 2 >= len(data):
                    self.pending = bytearray(data[i:])
                    break
                self._answer(command, data[i + 2])
                i += 3
            elif command == SB:
                end = data.find(bytes([IAC, SE]), i + 2)
                if end < 0:
                    if len(data) - i > 512:  # an endless subnegotiation: drop it
                        break
                    self.pending = bytearray(data[i:])
                    break
                i = end + 2
            else:
                i += 2
        return bytes(out)

    def _answer(self, command: int, option: int) -> None:
        if command == DO and option not in self.will:
            self.replies += bytes([IAC, WONT, option])
        elif command == WILL and option not in self.do:
            self.replies += bytes([IAC, DONT, option])

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
