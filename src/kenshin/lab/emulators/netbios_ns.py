"""A Windows host's NetBIOS name service on UDP 137 (RFC 1002 §4.2).

Answers the node status request (NBSTAT, name ``*``) with the host's name table,
MAC address and statistics — what ``nbtstat -A`` and scanners read — and name
queries for its own names with a positive response. Options: ``name``, ``workgroup``,
``mac``.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import serve_udp

NAME = "netbios_ns"
NBSTAT, NB, CLASS_IN = 0x21, 0x20, 1


def encode_name(name: str, suffix: int) -> bytes:
    """First-level encoding (RFC 1001 §14.1): 16 bytes → 32 letters A..P, as a label."""
    raw = name.upper().encode()[:15].ljust(15, b" ") + bytes([suffix])
    if name == "*":
        raw = b"*" + b"\x00" * 15
    letters = b"".join(bytes([0x41 + (byte >> 4), 0x41 + (byte & 0xF)]) for byte in raw)
    return b"\x20" + letters + b"\x00"


def decode_name(data: bytes, offset: int) -> tuple[bytes, int]:
    length = data[offset]
    if length != 32:
        raise ValueError("not a NetBIOS name")
    letters = data[offset + 1 : offset + 33]
    raw = bytes(((letters[i] - 0x41) << 4) | (letters[i + 1] - 0x41) for i in range(0, 32, 2))
    return raw, offset + 34


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    name, workgroup = opts["name"].upper(), opts["workgroup"].upper()
    mac = bytes.fromhex(opts["mac"].replace(":", ""))
    table = [(name, 0x00, 0x0400), (workgroup, 0x00, 0x8400), (name, 0x20, 0x0400)]

    def respond(datagram: bytes, _peer: tuple[Any, ...]) -> bytes | None:
        if len(datagram) < 50:
            return None
        transaction, flags, questions = struct.unpack_from(">HHH", datagram, 0)
        if flags & 0x8000 or questions != 1:
            return None
        raw, offset = decode_name(datagram, 12)
        qtype, _qclass = struct.unpack_from(">HH", datagram, offset)
        question = datagram[12:offset]
        if qtype == NBSTAT and raw[:1] == b"*":
            names = b"".join(
                entry.encode()[:15].ljust(15, b" ") + bytes([suffix]) + struct.pack(">H", nb_flags)
                for entry, suffix, nb_flags in table
            )
            data = bytes([len(table)]) + names + mac + b"\x00" * 40
            answer = question + struct.pack(">HHIH", NBSTAT, CLASS_IN, 0, len(data)) + data
            return struct.pack(">HHHHHH", transaction, 0x8400, 0, 1, 0, 0) + answer
        if qtype == NB and raw[:15].rstrip(b" ").decode("latin-1") in (name, workgroup):
            try:
                address = ipaddress.IPv4Address(host).packed
            except ValueError:
                address = b"\x7f\x00\x00\x01"
            data = struct.pack(">H", 0x0000) + address
            answer = question + struct.pack(">HHIH", NB, CLASS_IN, 300000, len(data)) + data
            return struct.pack(">HHHHHH", transaction, 0x8500, 0, 1, 0, 0) + answer
        return None

    await serve_udp(NAME, host, port, respond)
