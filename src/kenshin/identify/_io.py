"""Identification's use of the shared wire code (``kenshin.net``): its settings, TLS facts.

The bounded streams and datagrams themselves live in ``kenshin.net``; this module binds
them to :class:`IdentifySettings` and reads what a TLS handshake showed.
"""

from __future__ import annotations

import contextlib
import hashlib
import ssl
from dataclasses import dataclass

from kenshin.identify.settings import IdentifySettings
from kenshin.net import stream, udp
from kenshin.net.stream import Connection


def tls_context(settings: IdentifySettings) -> ssl.SSLContext:
    """A client context that accepts any certificate, down to ``settings.tls_min_version``."""
    return stream.observing_tls_context(settings.tls_min_version.replace(".", "_"))


async def open_tcp(
    address: str, port: int, settings: IdentifySettings, *, use_tls: bool = False
) -> Connection | None:
    """A connection, or None when the port refuses, resets, stalls or fails TLS."""
    return await stream.open_tcp(
        address,
        port,
        timeout=settings.connect_timeout + (settings.read_timeout if use_tls else 0),
        tls=tls_context(settings) if use_tls else None,
        limit=max(65_536, settings.http_body_bytes),
    )


async def udp_exchange(
    address: str, port: int, payload: bytes, settings: IdentifySettings, *, wait: float
) -> bytes | None:
    """Send ``payload`` (again ``udp_retries`` times if nothing comes back); first answer."""
    return await udp.exchange(
        address,
        port,
        payload,
        wait=wait,
        cap=settings.banner_bytes,
        attempts=1 + settings.udp_retries,
    )


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
