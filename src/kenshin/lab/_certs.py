"""Keys and certificates the lab's daemons serve, made fresh for every lab.

Made with the ``cryptography`` library: a lab CA, current server certificates it signs,
the deliberately bad certificate of an old TLS configuration (RSA-1024, self-signed,
expired), and SSH host keys in OpenSSH's format.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(key: PrivateKey, path: Path, fmt: serialization.PrivateFormat) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
    path.write_bytes(data)
    path.chmod(0o600)


def _self_signed(
    name: x509.Name,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.CertificateBuilder:
    """A certificate that is its own issuer (the lab CA, an old appliance); the caller signs it."""
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )


@dataclass
class LabCA:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls) -> LabCA:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        name = _name("kenshin test lab CA", "kenshin test lab")
        cert = (
            _self_signed(name, key, now - dt.timedelta(days=1), now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    def write(self, path: Path) -> None:
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, common_name: str, address: str, cert_path: Path, key_path: Path) -> None:
        """A current server certificate (ECDSA P-256, SAN with the name and the address)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, "kenshin test lab"))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=90))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName(common_name), x509.IPAddress(IPv4Address(address))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            # RFC 5280 §4.2.1.1-2: strict verifiers (cryptography's, used by sslyze) need these
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        _write_key(key, key_path, serialization.PrivateFormat.PKCS8)
        cert_path.write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
            + self.cert.public_bytes(serialization.Encoding.PEM)
        )


def write_old_certificate(common_name: str, cert_path: Path, key_path: Path) -> None:
    """An old appliance's certificate: RSA-1024, self-signed, expired a year ago."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - on purpose
    now = dt.datetime.now(dt.UTC)
    name = _name(common_name, "kenshin test lab (old)")
    builder = _self_signed(
        name, key, now - dt.timedelta(days=3 * 365), now - dt.timedelta(days=365)
    )
    # SHA-256: cryptography (>= 45) no longer signs with SHA-1.
    cert = builder.sign(key, hashes.SHA256())
    _write_key(key, key_path, serialization.PrivateFormat.TraditionalOpenSSL)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def write_ssh_host_keys(folder: Path, legacy: bool) -> list[Path]:
    """SSH host keys in OpenSSH's format: Ed25519 and ECDSA, plus RSA-2048 when legacy."""
    keys: list[tuple[str, PrivateKey]] = [
        ("ed25519", ed25519.Ed25519PrivateKey.generate()),
        ("ecdsa", ec.generate_private_key(ec.SECP256R1())),
    ]
    if legacy:
        keys.append(("rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    paths = []
    for kind, key in keys:
        path = folder / f"ssh_host_{kind}_key"
        _write_key(key, path, serialization.PrivateFormat.OpenSSH)
        paths.append(path)
    return paths
