"""An L2TP LNS on UDP 1701 (RFC 2661) answering SCCRQ with SCCRP.

A Start-Control-Connection-Request gets a Start-Control-Connection-Reply carrying the
mandatory AVPs (Message Type, Protocol Version 1.0, Framing and Bearer Capabilities,
Host Name, Assigned Tunnel ID) and the optional Firmware Revision and Vendor Name AVPs
that identify the product. Options: ``host_name``, ``vendor``, ``firmware``.
"""

from __future__ import annotations

import random
import struct
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import serve_udp

NAME = "l2tp"
SCCRQ, SCCRP = 1, 2
MESSAGE_TYPE, PROTOCOL_VERSION, FRAMING, BEARER = 0, 2, 3, 4
FIRMWARE, HOST_NAME, VENDOR_NAME, ASSIGNED_TUNNEL = 6, 7, 8, 9


def avp(attribute: int, value: bytes, mandatory: bool = True) -> bytes:
    flags = 0x8000 if mandatory else 0
    return struct.pack(">HHH", flags | (6 + len(value)), 0, attribute) + value


def parse_avps(data: bytes) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    offset = 0
    while offset + 6 <= len(data) and len(found) < 64:
        flags_length, vendor, attribute = struct.unpack_from(">HHH", data, offset)
        length = flags_length & 0x03FF
        if length < 6:
            break
        if vendor == 0:
            found[attribute] = data[offset + 6 : offset + length]
        offset += length
    return found


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    firmware = int(opts["firmware"], 16) if opts["firmware"] else 0x0100

    def respond(datagram: bytes, _peer: tuple[Any, ...]) -> bytes | None:
        if len(datagram) < 12:
            return None
        flags, length, _tunnel, _session, ns, _nr = struct.unpack_from(">HHHHHH", datagram, 0)
        if flags & 0xC000 != 0xC000 or flags & 0x000F != 2 or length > len(datagram):
            return None  # not a control message of L2TPv2 with length
        avps = parse_avps(datagram[12:length])
        if avps.get(MESSAGE_TYPE) != struct.pack(">H", SCCRQ) or ASSIGNED_TUNNEL not in avps:
            return None
        (peer_tunnel,) = struct.unpack(">H", avps[ASSIGNED_TUNNEL][:2])
        our_tunnel = random.randint(1, 0xFFFF)  # noqa: S311 - an identifier, not a secret
        body = (
            avp(MESSAGE_TYPE, struct.pack(">H", SCCRP))
            + avp(PROTOCOL_VERSION, b"\x01\x00")
            + avp(FRAMING, struct.pack(">I", 3))
            + avp(BEARER, struct.pack(">I", 0))
            + avp(FIRMWARE, struct.pack(">H", firmware), mandatory=False)
            + avp(HOST_NAME, opts["host_name"].encode())
            + avp(VENDOR_NAME, opts["vendor"].encode(), mandatory=False)
            + avp(ASSIGNED_TUNNEL, struct.pack(">H", our_tunnel))
        )
        header = struct.pack(
            ">HHHHHH", 0xC802, 12 + len(body), peer_tunnel, 0, 0, (ns + 1) & 0xFFFF
        )
        return header + body

    await serve_udp(NAME, host, port, respond)
