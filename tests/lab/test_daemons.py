"""Each real daemon of the ``test`` lab answers from the root namespace, twin against twin."""

from __future__ import annotations

import ftplib
import socket
import ssl
from datetime import UTC, datetime

import pytest
from _probes import dns_query, ntp_reply_mode, redis_command, snmp_sysdescr, tcp_state, udp_state
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from kenshin.domain import PortState, Protocol
from kenshin.lab import Lab

pytestmark = pytest.mark.lab


def _banner(address: str, port: int) -> str:
    with socket.create_connection((address, port), timeout=5) as conn:
        return conn.recv(256).decode("latin-1").strip()


def test_ssh_banner_shows_the_debian_patch_level(lab: Lab) -> None:
    for name in ("ssh-legacy", "ssh-modern"):
        service = lab.service(name)
        banner = _banner(service.address, 22)
        assert banner.startswith("SSH-2.0-OpenSSH_")
        assert banner == f"SSH-2.0-OpenSSH_{service.version}"
        assert "Debian-" in service.version


def test_anonymous_ftp_on_the_vulnerable_twin_only(lab: Lab) -> None:
    open_ftp, closed_ftp = lab.service("ftp-anonymous"), lab.service("ftp-closed")
    with ftplib.FTP(open_ftp.address, timeout=5) as ftp:
        assert ftp.getwelcome().startswith("220")
        assert ftp.login().startswith("230")
        assert "pub" in ftp.nlst()
    with ftplib.FTP(closed_ftp.address, timeout=5) as ftp:
        assert ftp.getwelcome().startswith("220")
        with pytest.raises(ftplib.error_perm, match="530"):
            ftp.login()


def test_snmp_answers_only_the_right_community(lab: Lab) -> None:
    public, hardened = lab.service("snmp-public"), lab.service("snmp-random")
    assert snmp_sysdescr(public.address, "public")
    assert snmp_sysdescr(hardened.address, "public") is None
    community = hardened.setting("community")
    assert community
    assert community != "public"
    assert snmp_sysdescr(hardened.address, community)


def test_dns_open_recursion_versus_refused(lab: Lab) -> None:
    rcode, answers, recursion = dns_query(lab.service("dns-open").address, "www.example.com")
    assert (rcode, recursion) == (0, 1)
    assert answers >= 1
    rcode, answers, _ = dns_query(lab.service("dns-refusing").address, "www.example.com")
    assert rcode == 5
    assert answers == 0
    rcode, answers, _ = dns_query(lab.service("dns-refusing").address, "ns.hospital.example")
    assert rcode == 0
    assert answers == 1


def test_dns_version_bind_shown_by_the_open_resolver_only(lab: Lab) -> None:
    rcode, answers, _ = dns_query(lab.service("dns-open").address, "version.bind", 16, 3)
    assert rcode == 0
    assert answers == 1
    rcode, answers, _ = dns_query(lab.service("dns-refusing").address, "version.bind", 16, 3)
    assert answers == 0


def _handshake(address: str, version: ssl.TLSVersion) -> tuple[str | None, bytes]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.minimum_version = version
    context.maximum_version = version
    with (
        socket.create_connection((address, 443), timeout=5) as raw,
        context.wrap_socket(raw) as tls,
    ):
        return tls.version(), tls.getpeercert(binary_form=True) or b""


def test_old_tls_offers_tls10_with_a_weak_expired_certificate(lab: Lab) -> None:
    address = lab.service("tls-old").address
    version, der = _handshake(address, ssl.TLSVersion.TLSv1)
    assert version == "TLSv1"
    assert _handshake(address, ssl.TLSVersion.TLSv1_1)[0] == "TLSv1.1"
    cert = x509.load_der_x509_certificate(der)
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 1024
    assert cert.issuer == cert.subject
    assert cert.not_valid_after_utc < datetime.now(UTC)  # expired
    with pytest.raises((ssl.SSLError, OSError)):
        _handshake(address, ssl.TLSVersion.TLSv1_3)


def test_modern_tls_refuses_old_versions_and_verifies_against_the_lab_ca(lab: Lab) -> None:
    address = lab.service("tls-modern").address
    with pytest.raises((ssl.SSLError, OSError)):
        _handshake(address, ssl.TLSVersion.TLSv1)
    with pytest.raises((ssl.SSLError, OSError)):
        _handshake(address, ssl.TLSVersion.TLSv1_1)
    assert _handshake(address, ssl.TLSVersion.TLSv1_2)[0] == "TLSv1.2"
    assert lab.ca_file is not None
    context = ssl.create_default_context(cafile=str(lab.ca_file))
    with (
        socket.create_connection((address, 443), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=address) as tls,
    ):
        assert tls.version() == "TLSv1.3"


def test_redis_without_and_with_a_password(lab: Lab) -> None:
    assert redis_command(lab.service("redis-open").address, "PING") == b"+PONG\r\n"
    hardened = lab.service("redis-auth")
    assert redis_command(hardened.address, "PING").startswith(b"-NOAUTH")
    assert redis_command(hardened.address, "AUTH", hardened.setting("password")) == b"+OK\r\n"


def test_ntp_server_replies_in_server_mode(lab: Lab) -> None:
    for name in ("ntp-vuln", "ntp-hard"):
        assert ntp_reply_mode(lab.service(name).address) == 4


def test_http_server_header_shows_the_version_where_the_profile_says(lab: Lab) -> None:
    service = lab.service("http-plain")
    with socket.create_connection((service.address, 80), timeout=5) as conn:
        conn.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
        head = conn.recv(4096).decode("latin-1")
    assert f"Server: nginx/{service.version}" in head


# The firewalled host: every state a scanner must tell apart, TCP and UDP.
FIREWALL_PROBES = [
    (Protocol.TCP, 22),  # accepted, sshd listens          -> open
    (Protocol.TCP, 8080),  # accepted, nothing listens (RST) -> closed
    (Protocol.TCP, 113),  # rejected with a TCP reset       -> closed
    (Protocol.TCP, 8443),  # ICMP admin-prohibited           -> filtered
    (Protocol.TCP, 5432),  # dropped                         -> filtered
    (Protocol.UDP, 161),  # accepted, snmpd listens         -> open
    (Protocol.UDP, 123),  # accepted, nothing listens       -> closed (port unreachable)
    (Protocol.UDP, 137),  # rejected port-unreachable       -> closed
    (Protocol.UDP, 69),  # ICMP admin-prohibited           -> filtered
    (Protocol.UDP, 5000),  # dropped                         -> open|filtered
]


@pytest.mark.parametrize(("protocol", "port"), FIREWALL_PROBES)
def test_firewalled_host_states(lab: Lab, protocol: Protocol, port: int) -> None:
    address = lab.host("fw").address
    expected = lab.expected_state(address, protocol, port)
    if protocol is Protocol.TCP:
        assert tcp_state(address, port) is expected
    else:
        community = lab.service("fw-snmp").setting("community") if port == 161 else ""
        payload = _snmp_get(community) if port == 161 else b"\0" * 8
        assert udp_state(address, port, payload) is expected


def test_firewall_design_covers_every_state(lab: Lab) -> None:
    address = lab.host("fw").address
    states = {lab.expected_state(address, p, n) for p, n in FIREWALL_PROBES}
    assert states == set(PortState)


def _snmp_get(community: str) -> bytes:
    """An SNMPv2c GetRequest for sysDescr.0 (RFC 3416 PDU in BER, RFC 1901 message)."""

    def tlv(tag: int, body: bytes) -> bytes:
        return bytes([tag, len(body)]) + body

    oid = tlv(0x06, bytes([0x2B, 6, 1, 2, 1, 1, 1, 0]))
    varbind = tlv(0x30, tlv(0x30, oid + b"\x05\x00"))
    pdu = tlv(0xA0, tlv(0x02, b"\x01") + tlv(0x02, b"\x00") + tlv(0x02, b"\x00") + varbind)
    return tlv(0x30, tlv(0x02, b"\x01") + tlv(0x04, community.encode()) + pdu)


def test_ground_truth_lists_every_listening_socket(lab: Lab) -> None:
    for role in lab.hosts:
        declared = {(str(s.protocol), s.port) for s in lab.services if s.role == role}
        actual = lab.listening(role)
        if declared or actual:
            assert actual == declared, role


def test_every_service_answers_a_connect_or_is_udp(lab: Lab) -> None:
    for service in lab.services:
        if service.protocol is Protocol.TCP:
            assert tcp_state(service.address, service.port) is PortState.OPEN, service.name


def test_the_root_namespace_reaches_the_lab_from_its_uplink_address(lab: Lab) -> None:
    service = lab.service("redis-open")
    with socket.create_connection((service.address, service.port), timeout=5) as conn:
        assert conn.getsockname()[0] == lab.source_address
    assert lab.link.endswith("-up")


def test_the_lab_counts_connections_per_service(lab: Lab) -> None:
    redis, dns = lab.service("redis-open"), lab.service("dns-open")
    before_redis, before_dns = lab.connections("redis-open"), lab.connections("dns-open")
    other = lab.connections("redis-auth")
    for _ in range(3):
        assert redis_command(redis.address, "PING") == b"+PONG\r\n"
    for _ in range(2):
        dns_query(dns.address, "www.example.com")
    assert lab.connections("redis-open") == before_redis + 3
    assert lab.connections("dns-open") == before_dns + 2
    assert lab.connections("redis-auth") == other
