"""SSH and TLS configuration checks, both ways; SSH also against Debian's real sshd."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kenshin.checks import CheckSettings, CheckStats
from kenshin.checks.ssh import SshAlgorithms, parse_kexinit
from kenshin.checks.tls import TlsConfiguration
from kenshin.domain import Severity

from .servers import target, tcp_server

FAST = CheckSettings(read_timeout=2.0, connect_timeout=2.0)


def kexinit_packet(kex: str, ciphers: str, macs: str, host_keys: str = "ssh-ed25519") -> bytes:
    """SSH_MSG_KEXINIT in an unencrypted binary packet (RFC 4253 §6, §7.1)."""
    lists = [kex, host_keys, ciphers, ciphers, macs, macs, "none", "none", "", ""]
    payload = bytes([20]) + os.urandom(16)
    for names in lists:
        payload += struct.pack(">I", len(names)) + names.encode()
    payload += b"\x00" + b"\x00\x00\x00\x00"
    padding = 8 - ((len(payload) + 5) % 8)
    padding = padding + 8 if padding < 4 else padding
    return struct.pack(">IB", len(payload) + padding + 1, padding) + payload + bytes(padding)


def ssh_server(kex: str, ciphers: str, macs: str):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_7.4\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.readline(), 5)
        writer.write(kexinit_packet(kex, ciphers, macs))
        await writer.drain()
        await asyncio.sleep(0.3)

    return handle


@pytest.mark.parametrize(
    ("kex", "ciphers", "macs", "expected"),
    [
        (
            "curve25519-sha256,diffie-hellman-group1-sha1",
            "aes128-ctr,3des-cbc",
            "hmac-sha2-256,hmac-md5",
            {"configuration.ssh_weak_algorithms"},
        ),
        (
            "curve25519-sha256",
            "chacha20-poly1305@openssh.com,aes128-ctr",
            "hmac-sha2-256",
            {"configuration.ssh_terrapin"},
        ),
        (
            "curve25519-sha256,kex-strict-s-v00@openssh.com",
            "chacha20-poly1305@openssh.com",
            "hmac-sha2-256",
            set(),
        ),
        (
            "curve25519-sha256",
            "aes256-gcm@openssh.com,aes128-ctr",
            "hmac-sha2-256-etm@openssh.com",
            set(),
        ),
    ],
)
def test_ssh_algorithms_both_ways(kex: str, ciphers: str, macs: str, expected: set[str]) -> None:
    async def scenario() -> list:  # type: ignore[type-arg]
        async with tcp_server(ssh_server(kex, ciphers, macs)) as port:
            return list(await SshAlgorithms().run(target(port, "ssh"), FAST, CheckStats()))

    found = asyncio.run(scenario())
    assert {f.check_id for f in found} == expected
    if "configuration.ssh_terrapin" in expected:
        assert found[0].cves == ("CVE-2023-48795",)


def test_kexinit_parser_refuses_junk() -> None:
    assert parse_kexinit(b"") is None
    assert parse_kexinit(b"\x00\x00\x00\x10\x04" + b"\x15" * 20) is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def debian_sshd(tmp_path: Path) -> Iterator[int]:
    """Debian's own OpenSSH server on a loopback port, started and stopped by pid."""
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd).exists() or os.geteuid() != 0:
        reason = "needs Debian's openssh-server and root to run sshd"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    key = tmp_path / "host_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    port = _free_port()
    config = tmp_path / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {key}\n"
        f"PidFile {tmp_path / 'sshd.pid'}\nUsePAM no\n",
        encoding="utf-8",
    )
    Path("/run/sshd").mkdir(exist_ok=True)
    process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_patched_debian_openssh_raises_nothing(debian_sshd: int) -> None:
    found = asyncio.run(SshAlgorithms().run(target(debian_sshd, "ssh"), FAST, CheckStats()))
    assert found == []


# -- TLS -------------------------------------------------------------------------------------


def _certificate(tmp_path: Path, *, bits: int, expired: bool) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kenshin-test.invalid")])
    now = dt.datetime.now(dt.UTC)
    start, end = (
        (now - dt.timedelta(days=800), now - dt.timedelta(days=30))
        if expired
        else (now - dt.timedelta(days=1), now + dt.timedelta(days=300))
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    cert_path = tmp_path / f"cert{bits}.pem"
    key_path = tmp_path / f"key{bits}.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[int]:
    old = request.param == "old"
    cert, key = _certificate(tmp_path, bits=1024 if old else 2048, expired=old)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if old:
        context.set_ciphers("ALL:@SECLEVEL=0")
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(3)
            try:
                with context.wrap_socket(client, server_side=True) as tls:
                    tls.recv(1024)
            except (ssl.SSLError, OSError):
                client.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.mark.parametrize("tls_server", ["old"], indirect=True)
def test_tls_old_configuration_fires(tls_server: int) -> None:
    found = asyncio.run(TlsConfiguration().run(target(tls_server, "https"), FAST, CheckStats()))
    ids = {f.check_id for f in found}
    assert "configuration.tls_old_protocol" in ids
    certificate = next(f for f in found if f.check_id == "configuration.tls_certificate")
    assert "expired" in certificate.evidence
    assert "1024" in certificate.evidence
    assert certificate.severity is Severity.MEDIUM  # a short key raises the severity
    assert "鍵長が短すぎます（1024ビット）" in certificate.title_ja + certificate.description_ja
    old = next(f for f in found if f.check_id == "configuration.tls_old_protocol")
    assert "TLS 1.0" in old.evidence


@pytest.mark.parametrize("tls_server", ["current"], indirect=True)
def test_tls_current_configuration_quiet_on_protocols(tls_server: int) -> None:
    found = asyncio.run(TlsConfiguration().run(target(tls_server, "https"), FAST, CheckStats()))
    ids = {f.check_id for f in found}
    assert "configuration.tls_old_protocol" not in ids
    assert "configuration.tls_weak_cipher" not in ids
    # a self-signed certificate is still worth a note, but no weak key or expiry
    for finding in found:
        assert "expired" not in finding.evidence
        assert "weak key" not in finding.evidence
    certificate = next(f for f in found if f.check_id == "configuration.tls_certificate")
    assert "self-signed" in certificate.evidence
    assert certificate.severity is Severity.LOW  # the catalogue's default, not raised
