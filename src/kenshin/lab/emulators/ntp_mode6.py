"""An old ntpd that answers mode 6 (control) and mode 7 (private) queries from anyone.

Mode 6 READVAR (RFC 9327, formerly RFC 1305 appendix B) returns the system variables —
including the ``version=`` string — fragmented at 468 data octets; mode 7
MON_GETLIST_1 (ntpd's private "monlist", CVE-2013-5211) returns the monitor list in
several 72-byte-item packets: a large amplification of a small request. Ordinary
client requests (mode 3) get a mode 4 server reply, so it is also just an NTP server.
Options: ``version`` (the ntpd version string), ``mode6`` and ``monlist`` ("true";
"false" imitates ``restrict default noquery``: such queries are ignored).
"""

from __future__ import annotations

import ipaddress
import random
import struct
import time
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import flag, log, serve_udp

NAME = "ntp_mode6"
NTP_EPOCH = 2208988800
READVAR = 2
MON_GETLIST_1 = 42
IMPL_XNTPD = 3
MAX_FRAGMENT = 468
MONLIST_ITEM = 72
ITEMS_PER_PACKET = 6
MONLIST_ENTRIES = 36  # six packets


def _ntp_time(now: float) -> bytes:
    seconds = int(now) + NTP_EPOCH
    fraction = int((now % 1) * 2**32)
    return struct.pack(">II", seconds, fraction)


def system_variables(version: str) -> bytes:
    now = time.time()
    stamp = (int(now) + NTP_EPOCH) & 0xFFFFFFFF
    text = (
        f'version="{version}", processor="x86_64", system="Linux/3.10.0-1160.el7.x86_64", '
        f"leap=00, stratum=2, precision=-23, rootdelay=1.452, rootdisp=24.317, "
        f"refid=198.51.100.7, reftime=0x{stamp:08x}.1a2b3c4d, clock=0x{stamp:08x}.5e6f7081, "
        f"peer=12345, tc=10, mintc=3, offset=0.128, frequency=-12.345, sys_jitter=0.211, "
        f"clk_jitter=0.187, clk_wander=0.004"
    )
    return text.encode()


def mode6_reply(request: bytes, version: str) -> list[bytes]:
    _first, op, sequence, _status, association = struct.unpack_from(">BBHHH", request, 0)
    opcode = op & 0x1F
    if opcode != READVAR:
        return []
    payload = system_variables(version)
    packets = []
    for offset in range(0, len(payload), MAX_FRAGMENT):
        chunk = payload[offset : offset + MAX_FRAGMENT]
        more = 0x20 if offset + MAX_FRAGMENT < len(payload) else 0
        header = struct.pack(
            ">BBHHHHH",
            (2 << 3) | 6,
            0x80 | more | opcode,
            sequence,
            0x0615,
            association,
            offset,
            len(chunk),
        )
        padding = b"\x00" * (-len(chunk) % 4)
        packets.append(header + chunk + padding)
    return packets


def monlist_reply(request: bytes, peer: tuple[Any, ...]) -> list[bytes]:
    _first, _sequence, implementation, code = struct.unpack_from(">BBBB", request, 0)
    if code != MON_GETLIST_1 or implementation not in (IMPL_XNTPD, 2):
        return []
    generator = random.Random(7)  # a stable, made-up client population (docs addresses)  # noqa: S311
    entries = []
    for index in range(MONLIST_ENTRIES):
        network = ("192.0.2.", "198.51.100.", "203.0.113.")[index % 3]
        address = int(ipaddress.IPv4Address(network + str(10 + index)))
        if index == 0:
            address = int(ipaddress.ip_address(peer[0])) if ":" not in peer[0] else address
        entries.append(
            struct.pack(
                ">IIIIIIIHBBII16s16s",
                generator.randint(1, 900),
                generator.randint(1, 900),
                0,
                generator.randint(1, 5000),
                address,
                0,
                0,
                123,
                3,
                4,
                0,
                0,
                b"\x00" * 16,
                b"\x00" * 16,
            )
        )
    packets = []
    for number, start in enumerate(range(0, len(entries), ITEMS_PER_PACKET)):
        items = entries[start : start + ITEMS_PER_PACKET]
        more = 0x40 if start + ITEMS_PER_PACKET < len(entries) else 0
        header = struct.pack(
            ">BBBBHH",
            0x80 | more | (2 << 3) | 7,
            number & 0x7F,  # ntpd numbers the packets of one response 0, 1, 2, ...
            implementation,
            code,
            len(items),
            MONLIST_ITEM,
        )
        packets.append(header + b"".join(items))
    return packets


def server_reply(request: bytes) -> bytes:
    now = time.time()
    version = (request[0] >> 3) & 0x7
    return (
        struct.pack(">BBbb", (version << 3) | 4, 2, 6, -23)
        + struct.pack(">II", 0x0000_5C00, 0x0001_8000)
        + bytes([198, 51, 100, 7])
        + _ntp_time(now - 30)
        + request[40:48]
        + _ntp_time(now)
        + _ntp_time(now)
    )


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    version = opts["version"]
    mode6 = flag(opts["mode6"], "mode6")
    monlist = flag(opts["monlist"], "monlist")

    def respond(datagram: bytes, peer: tuple[Any, ...]) -> list[bytes] | bytes | None:
        if len(datagram) < 4:
            return None
        mode = datagram[0] & 0x7
        if mode == 6 and mode6 and len(datagram) >= 12:
            log(NAME, f"mode 6 query from {peer[0]}")
            return mode6_reply(datagram, version)
        if mode == 7 and monlist and len(datagram) >= 8:
            log(NAME, f"mode 7 query from {peer[0]}")
            return monlist_reply(datagram, peer)
        if mode == 3 and len(datagram) >= 48:
            return server_reply(datagram)
        return None

    await serve_udp(NAME, host, port, respond)
