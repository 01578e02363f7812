"""In-process servers on 127.0.0.1 that speak just enough of a protocol for a test.

Each imitates what a real product sends first, in the format its specification or
documentation describes (named beside each builder). They run in the test's event loop
and are closed by the fixtures in conftest.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
import struct
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kenshin.scope import Gate

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HOST = "127.0.0.1"
GATE = Gate.adhoc(env={})
"""The ad-hoc policy every probe of these tests passes: loopback only."""


def banner_then_wait(banner: bytes, linger: float = 2.0) -> Handler:
    """A server that greets first (SSH, FTP, SMTP, POP3, IMAP, MySQL, VNC, telnet)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(banner)
        await writer.drain()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader.read(1024), timeout=linger)
        writer.close()

    return handle


def answer(responder: Callable[[bytes], bytes | None], *, first: int = 1) -> Handler:
    """A server that waits for the client's bytes and answers them."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            data = await asyncio.wait_for(reader.read(65536), timeout=5)
        except (TimeoutError, ConnectionError):
            writer.close()
            return
        reply = responder(data) if len(data) >= first else None
        if reply:
            writer.write(reply)
            await writer.drain()
        writer.close()

    return handle


Route = tuple[int, list[tuple[str, str]], bytes]


def web(routes: dict[str, Route], default: Route | None = None) -> Handler:
    """An HTTP/1.1 server: path → (status, headers, body)."""
    missing: Route = default or (404, [("Content-Type", "text/html")], b"<h1>Not Found</h1>")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        except (
            TimeoutError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ConnectionError,
        ):
            writer.close()
            return
        parts = head.split(b" ")
        path = parts[1].decode() if len(parts) > 1 else "/"
        status, headers, body = routes.get(path, missing)
        lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers]
        lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        writer.close()

    return handle


def certificate(
    subject: list[tuple[x509.ObjectIdentifier, str]],
    issuer: list[tuple[x509.ObjectIdentifier, str]] | None = None,
) -> ssl.SSLContext:
    """A server TLS context with a fresh RSA-2048 certificate for ``subject``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(oid, value) for oid, value in subject])
    issuer_name = x509.Name([x509.NameAttribute(o, v) for o, v in (issuer or subject)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("vpn.example.test"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="kenshin-identify-test-"))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


SIMPLE_SUBJECT = [(NameOID.COMMON_NAME, "www.example.test"), (NameOID.ORGANIZATION_NAME, "Example")]
FORTI_SUBJECT = [
    (NameOID.COUNTRY_NAME, "US"),
    (NameOID.ORGANIZATION_NAME, "Fortinet"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "FortiGate"),
    (NameOID.COMMON_NAME, "FGT60FTK2109X0000"),
]
FORTI_ISSUER = [
    (NameOID.COUNTRY_NAME, "US"),
    (NameOID.ORGANIZATION_NAME, "Fortinet"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "Certificate Authority"),
    (NameOID.COMMON_NAME, "fortinet-subca2001"),
]


# -- binary answers, built from the specifications -------------------------------------


def mysql_handshake(version: str) -> bytes:
    """MySQL Initial Handshake v10 (MySQL client/server protocol docs)."""
    body = (
        b"\x0a"
        + version.encode()
        + b"\x00"
        + struct.pack("<I", 8)
        + b"abcdefgh\x00"
        + struct.pack("<H", 0xF7FF)
        + b"\x21"
        + struct.pack("<H", 2)
        + b"\x00" * 13
    )
    return struct.pack("<I", len(body))[:3] + b"\x00" + body


def rdp_confirm(selected: int) -> bytes:
    """TPKT + X.224 CC + RDP_NEG_RSP ([MS-RDPBCGR] 2.2.1.2)."""
    neg = struct.pack("<BBHI", 2, 0, 8, selected)
    x224 = bytes([14, 0xD0, 0, 0, 0x12, 0x34, 0]) + neg
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224


def smb2_negotiate_response(dialect: int, signing_required: bool) -> bytes:
    """SMB2 header + NEGOTIATE response ([MS-SMB2] 2.2.4)."""
    header = b"\xfeSMB" + struct.pack(
        "<HHIHHIIQIIQ16s", 64, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, b"\0" * 16
    )
    body = (
        struct.pack(
            "<HHHH16sIIII",
            65,
            3 if signing_required else 1,
            dialect,
            0,
            b"G" * 16,
            0x2F,
            8388608,
            8388608,
            8388608,
        )
        + b"\0" * 24
    )
    message = header + body
    return struct.pack(">I", len(message)) + message


def pg_error(code: str, message: str) -> bytes:
    """PostgreSQL ErrorResponse (protocol §55.7)."""
    fields = b"SFATAL\0VFATAL\0C" + code.encode() + b"\0M" + message.encode() + b"\0\0"
    return b"E" + struct.pack(">I", 4 + len(fields)) + fields


def ber(tag: int, body: bytes) -> bytes:
    if len(body) < 128:
        return bytes([tag, len(body)]) + body
    size = len(body).to_bytes(2, "big")
    return bytes([tag, 0x82]) + size + body


def ldap_rootdse(vendor: str, version: str) -> bytes:
    """SearchResultEntry + SearchResultDone (RFC 4511 §4.5.2)."""

    def attribute(name: str, value: str) -> bytes:
        return ber(0x30, ber(4, name.encode()) + ber(0x31, ber(4, value.encode())))

    attributes = ber(
        0x30,
        attribute("vendorName", vendor)
        + attribute("vendorVersion", version)
        + attribute("supportedLDAPVersion", "3"),
    )
    entry = ber(0x30, b"\x02\x01\x01" + ber(0x64, ber(4, b"") + attributes))
    done = ber(0x30, b"\x02\x01\x01" + ber(0x65, b"\x0a\x01\x00\x04\x00\x04\x00"))
    return entry + done


def bson(fields: list[tuple[str, str | int]]) -> bytes:
    out = b""
    for key, value in fields:
        if isinstance(value, int):
            out += b"\x10" + key.encode() + b"\0" + struct.pack("<i", value)
        else:
            raw = value.encode()
            out += b"\x02" + key.encode() + b"\0" + struct.pack("<i", len(raw) + 1) + raw + b"\0"
    return struct.pack("<i", len(out) + 5) + out + b"\0"


def mongodb_reply(version: str) -> bytes:
    """OP_MSG reply with one kind-0 section (MongoDB wire protocol)."""
    body = (
        struct.pack("<I", 0)
        + b"\x00"
        + bson([("version", version), ("maxBsonObjectSize", 16777216)])
    )
    return struct.pack("<iiii", 16 + len(body), 7, 0x4B53, 2013) + body


FG_SYS_VERSION = bytes.fromhex("060c2b06010401e04465040101" + "00")  # fgSysVersion.0
PAN_SW_VERSION = bytes.fromhex("060e2b0601040181c675020102010100")  # panSysSwVersion.0


def snmp_response(
    request: bytes,
    sys_descr: str,
    object_id: bytes,
    fg_sys_version: str | None = None,
    pan_sw_version: str | None = None,
) -> bytes:
    """A GetResponse to a GetRequest for sysDescr.0 and sysObjectID.0 (RFC 3416); an
    asked-for fgSysVersion.0 gets ``fg_sys_version`` and panSysSwVersion.0
    ``pan_sw_version``, or noSuchObject (0x80) as an agent without that vendor's MIB
    answers a v2c request."""
    version = request[4]
    varbinds = ber(0x30, bytes.fromhex("06082b06010201010100") + ber(4, sys_descr.encode()))
    varbinds += ber(0x30, bytes.fromhex("06082b06010201010200") + ber(6, object_id))
    if FG_SYS_VERSION in request:
        value = ber(4, fg_sys_version.encode()) if fg_sys_version else b"\x80\x00"
        varbinds += ber(0x30, FG_SYS_VERSION + value)
    if PAN_SW_VERSION in request:
        value = ber(4, pan_sw_version.encode()) if pan_sw_version else b"\x80\x00"
        varbinds += ber(0x30, PAN_SW_VERSION + value)
    bindings = ber(0x30, varbinds)
    pdu = ber(0xA2, b"\x02\x02\x4b\x53\x02\x01\x00\x02\x01\x00" + bindings)
    return ber(0x30, bytes([2, 1, version]) + ber(4, b"public") + pdu)


def dns_version_answer(request: bytes, text: str) -> bytes:
    """A CHAOS TXT answer to version.bind (RFC 1035 §4.1)."""
    question = request[12:]
    txt = bytes([len(text)]) + text.encode()
    answer_rr = b"\xc0\x0c" + struct.pack(">HHIH", 16, 3, 0, len(txt)) + txt
    return request[:2] + struct.pack(">HHHHH", 0x8400, 1, 1, 0, 0) + question + answer_rr


def ntp_reply(version: int = 4, stratum: int = 2) -> bytes:
    """An NTP server reply, mode 4 (RFC 5905 §7.3)."""
    return (
        bytes([(version << 3) | 4, stratum, 6, 0xEC])
        + b"\0" * 8
        + bytes([192, 0, 2, 1])
        + b"\0" * 32
    )


def ike_reply(request: bytes, vendor_ids: list[bytes]) -> bytes:
    """IKEv1 Main Mode answer: SA (echoing the first transform) then vendor IDs (RFC 2408)."""
    payloads = b""
    for index, vid in enumerate(vendor_ids):
        following = 13 if index < len(vendor_ids) - 1 else 0
        payloads += struct.pack(">BBH", following, 0, 4 + len(vid)) + vid
    sa = struct.pack(">BBH", 13 if vendor_ids else 0, 0, 12) + struct.pack(">II", 1, 1)
    body = sa + payloads
    header = (
        request[:8] + b"RESPONDR" + bytes([1, 0x10, 2, 0]) + struct.pack(">II", 0, 28 + len(body))
    )
    return header + body


class UdpResponder(asyncio.DatagramProtocol):
    def __init__(self, responder: Callable[[bytes], bytes | None]) -> None:
        self.responder = responder
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.responder(data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)  # type: ignore[attr-defined]
