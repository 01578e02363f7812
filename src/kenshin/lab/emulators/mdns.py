"""Multicast DNS / DNS-SD responder on UDP 5353 (RFC 6762, RFC 6763), answering unicast.

A query for ``_services._dns-sd._udp.local`` PTR gets the service types the host
offers; a query for one of those types gets the instance PTR with SRV, TXT and A
records in the additional section. Queries from a port other than 5353 are "legacy
unicast" (RFC 6762 §6.7): the reply repeats the question and the query ID. Options:
``hostname`` (without .local), ``services`` (comma-separated, e.g. ``_http._tcp,_ipp._tcp``).
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import serve_udp

NAME = "mdns"
PTR, TXT, SRV, A, ANY = 12, 16, 33, 1, 255
CLASS_IN = 1
META = "_services._dns-sd._udp.local"


def encode_name(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\x00"


def read_name(data: bytes, offset: int) -> tuple[str, int]:
    labels: list[str] = []
    jumped_to: int | None = None
    for _ in range(64):
        length = data[offset]
        if length == 0:
            offset += 1
            break
        if length & 0xC0 == 0xC0:
            pointer = ((length & 0x3F) << 8) | data[offset + 1]
            if jumped_to is None:
                jumped_to = offset + 2
            offset = pointer
            continue
        labels.append(data[offset + 1 : offset + 1 + length].decode("utf-8", "replace"))
        offset += 1 + length
    return ".".join(labels), (jumped_to if jumped_to is not None else offset)


def record(name: str, kind: int, rdata: bytes, ttl: int = 120) -> bytes:
    return encode_name(name) + struct.pack(">HHIH", kind, CLASS_IN, ttl, len(rdata)) + rdata


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    hostname = opts["hostname"]
    target = f"{hostname}.local"
    services = [s.strip() + ".local" for s in opts["services"].split(",") if s.strip()]
    try:
        address = ipaddress.IPv4Address(host).packed
    except ValueError:
        address = b"\x7f\x00\x00\x01"

    def respond(datagram: bytes, peer: tuple[Any, ...]) -> bytes | None:
        if len(datagram) < 12:
            return None
        query_id, flags, questions = struct.unpack_from(">HHH", datagram, 0)
        if flags & 0x8000 or questions == 0:
            return None
        offset = 12
        answers: list[bytes] = []
        additional: list[bytes] = []
        question_bytes = b""
        for _ in range(min(questions, 8)):
            start = offset
            name, offset = read_name(datagram, offset)
            kind, _qclass = struct.unpack_from(">HH", datagram, offset)
            offset += 4
            question_bytes += encode_name(name) + datagram[offset - 4 : offset]
            del start
            lowered = name.lower()
            if lowered == META and kind in (PTR, ANY):
                answers += [record(META, PTR, encode_name(s)) for s in services]
            elif lowered in services and kind in (PTR, ANY):
                instance = f"{hostname}.{lowered}"
                answers.append(record(lowered, PTR, encode_name(instance)))
                port_number = 631 if lowered.startswith("_ipp.") else 80
                additional.append(
                    record(
                        instance, SRV, struct.pack(">HHH", 0, 0, port_number) + encode_name(target)
                    )
                )
                additional.append(record(instance, TXT, b"\x09txtvers=1"))
                additional.append(record(target, A, address))
            elif lowered == target.lower() and kind in (A, ANY):
                answers.append(record(target, A, address))
        if not answers:
            return None
        legacy = peer[1] != 5353
        header = struct.pack(
            ">HHHHHH",
            query_id if legacy else 0,
            0x8400,
            questions if legacy else 0,
            len(answers),
            0,
            len(additional),
        )
        return header + (question_bytes if legacy else b"") + b"".join(answers + additional)

    await serve_udp(NAME, host, port, respond)
