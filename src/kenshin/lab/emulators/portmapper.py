"""The ONC RPC port mapper / rpcbind on UDP 111 (RFC 1833, RFC 5531).

Answers version 2 NULL, GETPORT and DUMP (the list nmap's ``rpcinfo`` and scanners
read) and versions 3/4 NULL and DUMP in rpcbind's format (netid and universal address
strings). The registered programs are those of a Linux NFS server: portmapper,
nfs, mountd, nlockmgr, status. Option ``nfs`` ("true"; "false" lists only the port
mapper itself).
"""

from __future__ import annotations

import struct
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import flag, serve_udp

NAME = "portmapper"
PROGRAM = 100000
CALL, REPLY, MSG_ACCEPTED, SUCCESS, PROG_MISMATCH, PROC_UNAVAIL = 0, 1, 0, 0, 2, 3
NULL, GETPORT, DUMP = 0, 3, 4
TCP, UDP = 6, 17

PORTMAPPER = [(100000, v, p, 111) for v in (4, 3, 2) for p in (TCP, UDP)]
NFS_SERVER = [
    (100005, 1, UDP, 20048),
    (100005, 1, TCP, 20048),
    (100005, 3, UDP, 20048),
    (100005, 3, TCP, 20048),
    (100024, 1, UDP, 46213),
    (100024, 1, TCP, 39517),
    (100003, 3, TCP, 2049),
    (100003, 4, TCP, 2049),
    (100021, 1, UDP, 44291),
    (100021, 4, TCP, 35231),
]


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">I", len(raw)) + raw + b"\x00" * (-len(raw) % 4)


def _skip_auth(data: bytes, offset: int) -> int:
    length: int = struct.unpack_from(">II", data, offset)[1]
    if length > 400:
        raise ValueError("oversized RPC credentials")
    return offset + 8 + length + (-length % 4)


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    mappings = PORTMAPPER + (NFS_SERVER if flag(opts["nfs"], "nfs") else [])

    def respond(datagram: bytes, _peer: tuple[Any, ...]) -> bytes | None:
        if len(datagram) < 40:
            return None
        xid, kind, rpc_version, program, version, procedure = struct.unpack_from(
            ">IIIIII", datagram, 0
        )
        if kind != CALL or rpc_version != 2 or program != PROGRAM:
            return None
        offset = _skip_auth(datagram, 24)
        offset = _skip_auth(datagram, offset)
        head = struct.pack(">IIIII", xid, REPLY, MSG_ACCEPTED, 0, 0)
        if version not in (2, 3, 4):
            return head + struct.pack(">III", PROG_MISMATCH, 2, 4)
        if procedure == NULL:
            return head + struct.pack(">I", SUCCESS)
        if version == 2 and procedure == GETPORT and len(datagram) >= offset + 16:
            wanted, wanted_version, protocol, _ = struct.unpack_from(">IIII", datagram, offset)
            found = next(
                (
                    p
                    for prog, ver, proto, p in mappings
                    if prog == wanted and ver == wanted_version and proto == protocol
                ),
                0,
            )
            return head + struct.pack(">II", SUCCESS, found)
        if procedure == DUMP:
            body = struct.pack(">I", SUCCESS)
            for prog, ver, proto, mapped_port in mappings:
                if version == 2:
                    body += struct.pack(">IIIII", 1, prog, ver, proto, mapped_port)
                else:
                    netid = "tcp" if proto == TCP else "udp"
                    address = f"0.0.0.0.{mapped_port >> 8}.{mapped_port & 0xFF}"
                    body += struct.pack(">III", 1, prog, ver) + _string(netid)
                    body += _string(address) + _string("superuser")
            return head + body + struct.pack(">I", 0)
        return head + struct.pack(">I", PROC_UNAVAIL)

    await serve_udp(NAME, host, port, respond)
