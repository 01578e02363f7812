"""A RADIUS server on UDP 1812 (RFC 2865) that rejects every Access-Request.

The Access-Reject carries the request's identifier and a correct Response
Authenticator — MD5(Code | Identifier | Length | Request Authenticator | Attributes |
shared secret) — so a client holding the secret can verify it. Option ``secret``.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import log, serve_udp

NAME = "radius"
ACCESS_REQUEST, ACCESS_REJECT = 1, 3
REPLY_MESSAGE = 18


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    secret = opts["secret"].encode()

    def respond(datagram: bytes, peer: tuple[Any, ...]) -> bytes | None:
        if len(datagram) < 20:
            return None
        code, identifier, length = struct.unpack_from(">BBH", datagram, 0)
        if code != ACCESS_REQUEST or not 20 <= length <= len(datagram):
            return None
        log(NAME, f"Access-Request {identifier} from {peer[0]}: rejected")
        request_authenticator = datagram[4:20]
        message = b"Authentication failed"
        attributes = bytes([REPLY_MESSAGE, 2 + len(message)]) + message
        reply_length = 20 + len(attributes)
        head = struct.pack(">BBH", ACCESS_REJECT, identifier, reply_length)
        digest = hashlib.md5(  # noqa: S324 - RFC 2865 defines the authenticator with MD5
            head + request_authenticator + attributes + secret
        ).digest()
        return head + digest + attributes

    await serve_udp(NAME, host, port, respond)
