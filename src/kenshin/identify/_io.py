"""Bounded network I/O: every read stops at a byte cap and a deadline.

A tarpit that never speaks, a host that streams megabytes of garbage, a TLS port that
answers nonsense or a reset all end here as "no answer" or a short answer, never as a
hang: each wait has a timeout and each read a cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import ssl
import time
import warnings
from dataclasses import dataclass

from kenshin.identify.settings import IdentifySettings

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240


@dataclass
class Answer:
    data: bytes = b""
    closed: bool = False  # the peer closed (EOF or reset)
    timed_out: bool = False


class Connection:
    """A TCP (optionally TLS) stream with bounded reads."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @property
    def tls(self) -> ssl.SSLObject | None:
        obj = self.writer.get_extra_info("ssl_object")
        return obj if isinstance(obj, ssl.SSLObject) else None

    async def send(self, data: bytes) -> bool:
        if not data:
            return True
        try:
            self.writer.write(data)
            await asyncio.wait_for(self.writer.drain(), timeout=3.0)
        except (OSError, TimeoutError, ssl.SSLError, RuntimeError):
            return False
        return True

    async def read(
        self,
        first_timeout: float,
        idle_timeout: float,
        cap: int,
        *,
        total_timeout: float | None = None,
        telnet: bool = True,
        trickle: bool = False,
    ) -> Answer:
        """Read an answer: wait ``first_timeout`` for data, then until ``idle_timeout`` of
        silence, EOF, ``cap`` bytes or ``total_timeout`` (default first + 4 × idle + 2 s).

        Telnet option negotiation (IAC DO/WILL) is refused on the fly, so a router's
        login prompt follows. With ``trickle``, a text banner that arrives slowly and has
        no line end yet is waited for gap by gap (up to 5 s a gap), within the total.
        """
        answer = Answer()
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + (total_timeout or first_timeout + 4 * idle_timeout + 2.0)
        waiting = first_timeout
        last = time.monotonic()
        while size < cap:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                answer.timed_out = True
                break
            try:
                chunk = await asyncio.wait_for(
                    self.reader.read(min(4096, cap - size)), timeout=min(waiting, remaining)
                )
            except TimeoutError:
                answer.timed_out = not chunks
                break
            except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
                answer.closed = True
                break
            if not chunk:
                answer.closed = True
                break
            if telnet and IAC in chunk:
                await self.send(_telnet_refusals(chunk))
            chunks.append(chunk)
            size += len(chunk)
            now = time.monotonic()
            waiting = idle_timeout
            if trickle and b"\n" not in chunk and _textual(chunks):
                gap = 1.5 * (now - last) + 0.2
                waiting = min(max(idle_timeout, gap, 1.5 * first_timeout), 5.0)
            last = now
        answer.data = b"".join(chunks)[:cap]
        return answer

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), timeout=1.0)


def _textual(chunks: list[bytes]) -> bool:
    """Whether what arrived so far reads as one line of text still being written."""
    data = b"".join(chunks)
    return b"\n" not in data and all(32 <= b < 127 or b in (9, 13) for b in data[:256])


def _telnet_refusals(chunk: bytes) -> bytes:
    """Answer every DO with WONT and every WILL with DONT (RFC 854/855)."""
    out = bytearray()
    i = 0
    while i < len(chunk) - 2:
        if chunk[i] == IAC and chunk[i + 1] in (DO, WILL):
            out += bytes([IAC, WONT if chunk[i + 1] == DO else DONT, chunk[i + 2]])
            i += 3
        else:
            i += 1
    return bytes(out)


def strip_telnet(data: bytes) -> bytes:
    """The text of a telnet stream without its IAC command sequences."""
    out = bytearray()
    i = 0
    while i < len(data):
        byte = data[i]
        if byte != IAC:
            out.append(byte)
            i += 1
            continue
        if i + 1 >= len(data):
            break
        command = data[i + 1]
        if command in (DO, DONT, WILL, WONT):
            i += 3
        elif command == SB:
            end = data.find(bytes([IAC, SE]), i + 2)
            i = len(data) if end < 0 else end + 2
        elif command == IAC:
            out.append(IAC)
            i += 2
        else:
            i += 2
    return bytes(out)


def tls_context(settings: IdentifySettings) -> ssl.SSLContext:
    """A client context that accepts any certificate: we read it, we do not trust it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ValueError, ssl.SSLError):
        context.set_ciphers("ALL:@SECLEVEL=0")
    with contextlib.suppress(ValueError, AttributeError), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # old appliances speak TLS 1.0
        context.minimum_version = getattr(
            ssl.TLSVersion, settings.tls_min_version.replace(".", "_")
        )
    return context


async def open_tcp(
    address: str, port: int, settings: IdentifySettings, *, use_tls: bool = False
) -> Connection | None:
    """A connection, or None when the port refuses, resets, stalls or fails TLS."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                address,
                port,
                ssl=tls_context(settings) if use_tls else None,
                server_hostname=None,
                limit=max(65_536, settings.http_body_bytes),
                ssl_handshake_timeout=settings.connect_timeout + settings.read_timeout
                if use_tls
                else None,
            ),
            timeout=settings.connect_timeout + (settings.read_timeout if use_tls else 0),
        )
    except (OSError, TimeoutError, ssl.SSLError, ValueError, EOFError):
        return None
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Connection(reader, writer)


class _Datagram(asyncio.DatagramProtocol):
    """Collects datagrams from the target host, whatever its source port (a TFTP
    server answers from a new port, RFC 1350 §4)."""

    def __init__(self, cap: int, host: str) -> None:
        self.cap = cap
        self.host = host
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=8)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if addr and addr[0] == self.host and not self.queue.full():
            self.queue.put_nowait(data[: self.cap])


async def udp_exchange(
    address: str, port: int, payload: bytes, settings: IdentifySettings, *, wait: float
) -> bytes | None:
    """Send ``payload`` (again ``udp_retries`` times if nothing comes back); first answer."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: _Datagram(settings.banner_bytes, address),
            local_addr=("::" if family == socket.AF_INET6 else "0.0.0.0", 0),  # noqa: S104
            family=family,
        )
    except OSError:
        return None
    try:
        for _attempt in range(1 + settings.udp_retries):
            try:
                transport.sendto(payload, (address, port))
            except OSError:
                return None
            try:
                return await asyncio.wait_for(protocol.queue.get(), timeout=wait)
            except TimeoutError:
                continue
        return None
    finally:
        transport.close()


@dataclass(frozen=True)
class TlsFacts:
    """What a TLS handshake showed, as key/value extras."""

    version: str
    cipher: str
    certificate: tuple[tuple[str, str], ...]

    def extras(self) -> tuple[tuple[str, str], ...]:
        return (("tls_version", self.version), ("tls_cipher", self.cipher), *self.certificate)

    def cert_value(self, name: str) -> str:
        return dict(self.certificate).get(name, "")


def tls_facts(connection: Connection) -> TlsFacts | None:
    obj = connection.tls
    if obj is None:
        return None
    der = obj.getpeercert(binary_form=True)
    cipher = obj.cipher()
    return TlsFacts(
        version=obj.version() or "",
        cipher=cipher[0] if cipher else "",
        certificate=describe_certificate(der) if der else (),
    )


def describe_certificate(der: bytes) -> tuple[tuple[str, str], ...]:
    """Subject, issuer, SAN, validity, key and fingerprint of a DER certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    facts: list[tuple[str, str]] = [("cert_sha256", hashlib.sha256(der).hexdigest())]
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return tuple(facts)
    facts.append(("cert_subject", cert.subject.rfc4514_string()))
    facts.append(("cert_issuer", cert.issuer.rfc4514_string()))
    facts.append(("cert_self_signed", "yes" if cert.subject == cert.issuer else "no"))
    facts.append(("cert_not_before", cert.not_valid_before_utc.isoformat()))
    facts.append(("cert_not_after", cert.not_valid_after_utc.isoformat()))
    facts.append(("cert_serial", format(cert.serial_number, "x")))
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(v) for v in san.get_values_for_type(x509.DNSName)]
        names += [str(v) for v in san.get_values_for_type(x509.IPAddress)]
        if names:
            facts.append(("cert_san", ",".join(names)))
    except (x509.ExtensionNotFound, ValueError):
        pass
    try:
        key = cert.public_key()
    except (ValueError, TypeError):  # an unsupported key algorithm: say nothing about it
        key = None
    if isinstance(key, rsa.RSAPublicKey):
        facts.append(("cert_key", f"RSA {key.key_size}"))
    elif isinstance(key, ec.EllipticCurvePublicKey):
        facts.append(("cert_key", f"EC {key.curve.name} {key.key_size}"))
    elif isinstance(key, dsa.DSAPublicKey):
        facts.append(("cert_key", f"DSA {key.key_size}"))
    elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        facts.append(("cert_key", type(key).__name__.replace("PublicKey", "")))
    with contextlib.suppress(Exception):
        if cert.signature_hash_algorithm is not None:
            facts.append(("cert_signature", cert.signature_hash_algorithm.name))
    return tuple(facts)
