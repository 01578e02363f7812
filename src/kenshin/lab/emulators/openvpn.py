"""An OpenVPN server on UDP 1194 answering the client's hard reset.

P_CONTROL_HARD_RESET_CLIENT_V2 (opcode 7) gets P_CONTROL_HARD_RESET_SERVER_V2
(opcode 8): the server's session id, an ACK of the client's packet id, the client's
session id and packet id 0 — the reply OpenVPN's protocol (openvpn/src/openvpn/ssl.c,
"Protocol overview" in the OpenVPN security overview) defines. With option
``tls_auth`` = true the server, like one configured with ``tls-auth``/``tls-crypt``,
drops every packet whose HMAC it cannot verify — i.e. all of a scanner's — and stays
silent (the hardened twin).
"""

from __future__ import annotations

import os
import struct
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import flag, serve_udp

NAME = "openvpn"
HARD_RESET_CLIENT_V2, HARD_RESET_SERVER_V2 = 7, 8


def reply(datagram: bytes, server_session: bytes) -> bytes | None:
    if len(datagram) < 14 or datagram[0] >> 3 != HARD_RESET_CLIENT_V2:
        return None
    key_id = datagram[0] & 0x07
    client_session = datagram[1:9]
    ack_count = datagram[9]
    offset = 10 + 4 * ack_count + (8 if ack_count else 0)
    if len(datagram) < offset + 4:
        return None
    (packet_id,) = struct.unpack_from(">I", datagram, offset)
    return (
        bytes([(HARD_RESET_SERVER_V2 << 3) | key_id])
        + server_session
        + b"\x01"
        + struct.pack(">I", packet_id)
        + client_session
        + struct.pack(">I", 0)
    )


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    tls_auth = flag(opts["tls_auth"], "tls_auth")
    sessions: dict[bytes, bytes] = {}

    def respond(datagram: bytes, _peer: tuple[Any, ...]) -> bytes | None:
        if tls_auth:
            return None
        client = datagram[1:9]
        if client not in sessions and len(sessions) < 1000:
            sessions[client] = os.urandom(8)
        return reply(datagram, sessions.get(client, os.urandom(8)))

    await serve_udp(NAME, host, port, respond)
