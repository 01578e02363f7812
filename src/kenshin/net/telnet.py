"""Telnet (RFC 854/855) option negotiation: read it out of a stream, refuse what we do not do.

One reading of IAC sequences for everyone who meets them: identification (banner text
and the options a router asks for), the login check (text to match prompts, refusals
to send back) and the lab's emulated routers (which keep an incomplete sequence for
the next chunk and accept the options they offered).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
VERBS = {WILL: "WILL", WONT: "WONT", DO: "DO", DONT: "DONT"}
COMMANDS = {name: code for code, name in VERBS.items()}
LONGEST_SUBNEGOTIATION = 512
"""An unfinished subnegotiation longer than this is dropped, not kept for the next chunk."""


@dataclass(frozen=True)
class Parsed:
    """A chunk split into its text, the option requests in it, and an unfinished tail."""

    text: bytes
    requests: tuple[tuple[int, int], ...]  # (WILL/WONT/DO/DONT, option), in order
    rest: bytes = b""


def parse(data: bytes, *, keep_partial: bool = False) -> Parsed:
    """Separate text from IAC commands; with ``keep_partial`` an unfinished one is ``rest``."""
    text = bytearray()
    requests: list[tuple[int, int]] = []
    rest = b""
    i = 0
    while i < len(data):
        byte = data[i]
        if byte != IAC:
            text.append(byte)
            i += 1
            continue
        if i + 1 >= len(data):
            rest = data[i:] if keep_partial else b""
            break
        command = data[i + 1]
        if command == IAC:
            text.append(IAC)
            i += 2
        elif command in VERBS:
            if i + 2 >= len(data):
                rest = data[i:] if keep_partial else b""
                break
            requests.append((command, data[i + 2]))
            i += 3
        elif command == SB:
            end = data.find(bytes([IAC, SE]), i + 2)
            if end < 0:
                if keep_partial and len(data) - i <= LONGEST_SUBNEGOTIATION:
                    rest = data[i:]
                break
            i = end + 2
        else:
            i += 2
    return Parsed(bytes(text), tuple(requests), rest)


def refusals(
    requests: Collection[tuple[int, int]],
    *,
    will: Collection[int] = (),
    do: Collection[int] = (),
) -> bytes:
    """WONT to every DO and DONT to every WILL, except the options in ``will`` / ``do``."""
    out = bytearray()
    for command, option in requests:
        if command == DO and option not in will:
            out += bytes([IAC, WONT, option])
        elif command == WILL and option not in do:
            out += bytes([IAC, DONT, option])
    return bytes(out)


def strip(data: bytes) -> bytes:
    """The text of a telnet stream without its IAC command sequences."""
    return parse(data).text


def negotiation(entries: Collection[tuple[str, int]]) -> bytes:
    """The IAC sequence for ``[(verb, option), ...]`` (``("WILL", 1)``)."""
    return b"".join(bytes([IAC, COMMANDS[verb], option]) for verb, option in entries)
