"""Microsoft RDP listener: answers the X.224 Connection Request like a Windows host.

Protocol: [MS-RDPBCGR] 2.2.1.1 (Client X.224 Connection Request PDU, RDP_NEG_REQ) and
2.2.1.2 (Server X.224 Connection Confirm PDU with RDP_NEG_RSP or RDP_NEG_FAILURE),
carried in TPKT (RFC 1006) and X.224 (ITU-T X.224) headers.

Option ``nla``: "true" (Network Level Authentication required, the Windows default):
the server selects PROTOCOL_HYBRID_EX or PROTOCOL_HYBRID (CredSSP) when the client
offers it and refuses with HYBRID_REQUIRED_BY_SERVER otherwise; "false": CredSSP is
still selected when offered, but a client offering only PROTOCOL_SSL or standard RDP
security (PROTOCOL_RDP) is accepted too — what an exposed host without NLA answers.
After SSL/HYBRID is selected the server completes a TLS handshake with a self-signed
certificate whose CN is the host name (option ``hostname``), as Windows does, then
waits briefly and closes; it never authenticates anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import flag, log, read_exact, read_some, send, serve_tcp
from kenshin.lab.emulators._tls import make_certificate, server_context
from kenshin.lab.emulators._tlsio import accept as tls_accept

NAME = "rdp"

PROTOCOL_RDP = 0x00000000
PROTOCOL_SSL = 0x00000001
PROTOCOL_HYBRID = 0x00000002
PROTOCOL_HYBRID_EX = 0x00000008
TYPE_RDP_NEG_REQ = 0x01
TYPE_RDP_NEG_RSP = 0x02
TYPE_RDP_NEG_FAILURE = 0x03
SSL_REQUIRED_BY_SERVER = 0x00000001
SSL_NOT_ALLOWED_BY_SERVER = 0x00000002
HYBRID_REQUIRED_BY_SERVER = 0x00000005
#: EXTENDED_CLIENT_DATA | DYNVC_GFX | NEGRSP_RESERVED | RESTRICTED_ADMIN | REDIRECTED_AUTH,
#: as Windows 10 / Server 2016 and later set them.
RESPONSE_FLAGS = 0x1F
X224_CR = 0xE0
X224_CC = 0xD0


def parse_connection_request(packet: bytes) -> int | None:
    """requestedProtocols of a TPKT+X.224 CR (0 when no RDP_NEG_REQ); None if not a CR."""
    if len(packet) < 11 or packet[0] != 3 or packet[5] & 0xF0 != X224_CR:
        return None
    length_indicator = packet[4]
    tpdu = packet[5 : 5 + length_indicator]
    variable = tpdu[6:]  # after code, dst-ref, src-ref, class
    # an optional cookie or routing token ends with CR LF
    end = variable.find(b"\r\n")
    if variable.startswith((b"Cookie:", b"Cookie: ")) and end >= 0:
        variable = variable[end + 2 :]
    if len(variable) >= 8 and variable[0] == TYPE_RDP_NEG_REQ:
        (requested,) = struct.unpack_from("<I", variable, 4)
        return int(requested)
    return PROTOCOL_RDP


def connection_confirm(kind: int, flags: int, value: int) -> bytes:
    """TPKT + X.224 CC carrying an RDP_NEG_RSP or RDP_NEG_FAILURE."""
    negotiation = struct.pack("<BBHI", kind, flags, 8, value)
    x224 = bytes([6 + len(negotiation), X224_CC]) + struct.pack(">HHB", 0, 0x1234, 0)
    body = x224 + negotiation
    return struct.pack(">BBH", 3, 0, 4 + len(body)) + body


def choose(requested: int, nla: bool) -> tuple[int, int, int]:
    """(type, flags, selectedProtocol or failureCode) the server answers.

    Windows selects the strongest protocol both sides support (HYBRID_EX, HYBRID, SSL,
    then standard RDP security); requiring NLA only removes the last two.
    """
    for protocol in (PROTOCOL_HYBRID_EX, PROTOCOL_HYBRID):
        if requested & protocol:
            return TYPE_RDP_NEG_RSP, RESPONSE_FLAGS, protocol
    if nla:
        return TYPE_RDP_NEG_FAILURE, 0, HYBRID_REQUIRED_BY_SERVER
    if requested & PROTOCOL_SSL:
        return TYPE_RDP_NEG_RSP, RESPONSE_FLAGS, PROTOCOL_SSL
    return TYPE_RDP_NEG_RSP, RESPONSE_FLAGS, PROTOCOL_RDP


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    nla = flag(opts["nla"], "nla")
    certificate, key = make_certificate([["CN", opts["hostname"]]], days=180)
    tls = server_context(certificate, key)

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        header = await read_exact(reader, 4)
        if header is None or header[0] != 3:
            return
        (total,) = struct.unpack(">H", header[2:4])
        rest = await read_exact(reader, total - 4) if 11 <= total <= 1024 else None
        if rest is None:
            return
        requested = parse_connection_request(header + rest)
        if requested is None:
            return
        kind, flags, value = choose(requested, nla)
        log(NAME, f"connection request protocols={requested:#x} -> type={kind} value={value:#x}")
        if not await send(writer, connection_confirm(kind, flags, value)):
            return
        if kind != TYPE_RDP_NEG_RSP or value == PROTOCOL_RDP:
            # standard RDP security would continue with MCS Connect Initial; we stop here
            await read_some(reader, timeout=5.0)
            return
        streams = await tls_accept(reader, writer, tls)
        if streams is None:
            return
        plain_reader, plain_writer, pump = streams
        try:
            # CredSSP (HYBRID) or MCS would follow; the lab never gets that far
            await read_some(plain_reader, timeout=5.0)
        finally:
            plain_writer.close()
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    await serve_tcp(NAME, host, port, session)
