"""Self-signed certificates made at start, in the style a given appliance uses.

An appliance's factory certificate is either self-signed or signed by a vendor CA that
the appliance carries; we make a throwaway CA with the vendor's issuer name and sign a
leaf certificate with the subject the appliance shows (e.g. FortiGate's serial-number
common name). Keys are generated in memory and never written anywhere but a private
temporary file that ``ssl`` needs for loading and that is removed at once.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import tempfile
from collections.abc import Mapping, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

_ATTRIBUTES = {
    "C": NameOID.COUNTRY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "L": NameOID.LOCALITY_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "CN": NameOID.COMMON_NAME,
    "emailAddress": NameOID.EMAIL_ADDRESS,
}


def name_of(fields: Sequence[Sequence[str]]) -> x509.Name:
    """An X.509 name from ``[[attribute, value], ...]`` in the order the vendor uses."""
    return x509.Name([x509.NameAttribute(_ATTRIBUTES[key], value) for key, value in fields])


def make_certificate(
    subject: Sequence[Sequence[str]],
    issuer: Sequence[Sequence[str]] | None = None,
    *,
    key_size: int = 2048,
    days: int = 3650,
    san: Sequence[str] = (),
    not_before: dt.datetime | None = None,
) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM): self-signed, or signed by a CA named ``issuer``."""
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    if issuer is not None:
        signer = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        issuer_name = name_of(issuer)
    else:
        signer = leaf_key
        issuer_name = name_of(subject)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name_of(subject))
        .issuer_name(issuer_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
    )
    alt_names: list[x509.GeneralName] = []
    for entry in san:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(entry)))
        except ValueError:
            alt_names.append(x509.DNSName(entry))
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    certificate = builder.sign(signer, hashes.SHA256())
    return (
        certificate.public_bytes(serialization.Encoding.PEM),
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
    )


#: What appliances accept by default ("high" strength, RSA key exchange and CBC-SHA
#: suites included, as FortiOS "algorithm high" and most VPN gateways do) — unlike
#: Python's own server default, which would refuse clients such as nmap's TLS probe.
APPLIANCE_CIPHERS = "HIGH:!aNULL:!eNULL:!MD5:!3DES:@SECLEVEL=1"
_VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}


def server_context(
    certificate_pem: bytes,
    key_pem: bytes,
    *,
    minimum: str = "TLSv1.2",
    ciphers: str = APPLIANCE_CIPHERS,
) -> ssl.SSLContext:
    """A server-side TLS context holding this certificate and key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if minimum in ("TLSv1", "TLSv1.1"):
        ciphers = ciphers.replace("@SECLEVEL=1", "@SECLEVEL=0")
    context.set_ciphers(ciphers)
    context.minimum_version = _VERSIONS[minimum]
    handle, path = tempfile.mkstemp(prefix="kenshin-emulator-", suffix=".pem")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(certificate_pem + key_pem)
        context.load_cert_chain(path)
    finally:
        os.unlink(path)
    return context


def appliance_context(spec: Mapping[str, object], values: Mapping[str, str]) -> ssl.SSLContext:
    """The TLS context of an appliance from its data file's ``certificate`` entry.

    ``subject``/``issuer`` are lists of ``[attribute, value]``; values may use
    ``@@name@@`` placeholders filled from ``values`` (e.g. the serial number); an
    optional ``tls`` mapping sets ``minimum`` (protocol version) and ``ciphers``.
    """

    def fill(fields: object) -> list[list[str]]:
        assert isinstance(fields, list)
        result = []
        for key, value in fields:
            text = str(value)
            for name, replacement in values.items():
                text = text.replace(f"@@{name}@@", replacement)
            result.append([str(key), text])
        return result

    issuer = spec.get("issuer")
    tls = spec.get("tls") or {}
    assert isinstance(tls, dict)
    san = spec.get("san") or []
    assert isinstance(san, list)
    certificate, key = make_certificate(
        fill(spec["subject"]),
        fill(issuer) if issuer else None,
        key_size=int(str(spec.get("key_size", 2048))),
        days=int(str(spec.get("days", 3650))),
        san=[str(entry) for entry in san],
    )
    return server_context(
        certificate,
        key,
        minimum=str(tls.get("minimum", "TLSv1.2")),
        ciphers=str(tls.get("ciphers", APPLIANCE_CIPHERS)),
    )
