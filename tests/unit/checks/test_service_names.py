"""One vocabulary of service names between identification and the checks, and the
checks' lists read from the knowledge data rather than restated in code.

Which names are web services, which run inside TLS and what a VPN appliance is expected to
offer were written in several checks in different words; these tests hold them to the
names identification actually reports.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

import pytest

from kenshin.checks import NETWORK_CHECKS, CheckSettings, CheckStats, CheckTarget
from kenshin.checks._knowledge import load_data
from kenshin.checks._net import http_get
from kenshin.checks.accounts import HttpDefaultCredentials
from kenshin.checks.backdoor import UnexpectedServiceOnVpn
from kenshin.checks.exposure import AdminWebExposure
from kenshin.checks.http import LoginWithoutTls
from kenshin.checks.tls import TlsConfiguration, weak_cipher_markers
from kenshin.domain import Confidence, PortResult, Protocol, ServiceIdentity
from kenshin.domain.scan import TLS_SERVICES, WEB_SERVICES
from kenshin.identify import load_knowledge
from kenshin.scan import parse_ports, read_nmap_xml, service_name
from kenshin.scan.ports import _aliases

from .servers import target

_HANDSHAKE = (("tls_version", "TLSv1.3"), ("tls_cipher", "TLS_AES_256_GCM_SHA384"))


def test_every_name_identification_gives_inside_tls_is_a_tls_name() -> None:
    assert set(load_knowledge().tls_services.values()) <= TLS_SERVICES


def test_a_handshake_identification_completed_is_tls_whatever_the_name() -> None:
    """Docker's API on 2376 is named 'docker' though identification spoke TLS to it."""
    docker = target(2376, "docker", product="Docker", extra=_HANDSHAKE)
    assert docker.over_tls
    assert TlsConfiguration().applies_to(docker)
    assert not target(2375, "docker", product="Docker").over_tls


def test_nmap_tunnel_and_tls_names_are_tls() -> None:
    assert target(443, "http", extra=(("tunnel", "ssl"),)).over_tls
    assert target(993, "imaps").over_tls
    assert not target(80, "http").over_tls


def test_http_get_speaks_tls_where_identification_saw_tls() -> None:
    """The old rule looked only at three names and nmap's tunnel: a GET to Docker's TLS
    port went out in the clear."""

    async def go() -> bool:
        server_saw: list[bytes] = []

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            server_saw.append(await reader.read(5))
            writer.close()

        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            docker = target(port, "docker", product="Docker", extra=_HANDSHAKE)
            settings = CheckSettings(connect_timeout=2.0, read_timeout=1.0)
            with contextlib.suppress(OSError, TimeoutError):
                await http_get(docker, settings, CheckStats(), "/version")
        finally:
            server.close()
            await server.wait_closed()
        return bool(server_saw) and server_saw[0].startswith(b"\x16\x03")  # a ClientHello

    assert asyncio.run(go())


def test_login_without_tls_only_on_plain_web_ports() -> None:
    assert LoginWithoutTls().services == WEB_SERVICES - TLS_SERVICES
    assert LoginWithoutTls().applies_to(target(8000, "http-alt"))
    assert not LoginWithoutTls().applies_to(target(443, "http", extra=(("tunnel", "ssl"),)))


@pytest.mark.parametrize("service", sorted(WEB_SERVICES))
def test_web_checks_take_every_web_name(service: str) -> None:
    """'http-alt' (nmap's name for 8000) was missing from two of the three web checks."""
    assert HttpDefaultCredentials().applies_to(target(8000, service))
    admin = target(8000, service, product="YAMAHA RTX1210 web GUI")
    assert AdminWebExposure().applies_to(admin)


@pytest.mark.parametrize(
    ("port", "service", "protocol"),
    [
        (4500, "nat-t-ike", Protocol.UDP),  # was listed as IANA's 'ipsec-nat-t'
        (8443, "https-alt", Protocol.TCP),
        (500, "isakmp", Protocol.UDP),
    ],
)
def test_vpn_appliance_services_named_as_identification_names_them(
    port: int, service: str, protocol: Protocol
) -> None:
    on_vpn = target(port, service, protocol, role="vpn_gateway")
    assert not UnexpectedServiceOnVpn().applies_to(on_vpn)


def test_nat_t_is_named_nat_t_ike_by_identification() -> None:
    assert load_knowledge().port_names[("udp", 4500)] == "nat-t-ike"


def test_weak_tls_suites_come_from_the_knowledge_data() -> None:
    """The weak-suite markers were a list in tls.py while SSH's weak algorithms were data."""
    markers = weak_cipher_markers()
    assert set(markers) == {"_RC4_", "_3DES_", "_DES_", "_NULL_", "_EXPORT", "_anon_", "_MD5"}
    assert any(m in "TLS_RSA_WITH_3DES_EDE_CBC_SHA" for m in markers)
    assert not any(m in "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" for m in markers)


def _nmap_xml(ports: list[tuple[str, int, str]]) -> bytes:
    """nmap -oX of one host whose ports nmap named by its port table only (no -sV)."""
    rows = "".join(
        f"<port protocol='{protocol}' portid='{port}'><state state='open' reason='syn-ack'/>"
        f"<service name='{name}' method='table' conf='3'/></port>"
        for protocol, port, name in ports
    )
    return (
        "<?xml version='1.0'?><nmaprun scanner='nmap' args='nmap -sS' start='1700000000'>"
        "<host><status state='up'/><address addr='198.18.0.9' addrtype='ipv4'/>"
        f"<ports>{rows}</ports></host></nmaprun>"
    ).encode()


def _applying(port: PortResult) -> set[str]:
    """The checks that would run on ``port`` of a VPN appliance (its role has a check too)."""
    target = CheckTarget("198.18.0.9", port, device_role="vpn_gateway")
    return {check.check_id for check in NETWORK_CHECKS if check.applies_to(target)}


@pytest.mark.parametrize(
    ("protocol", "port", "nmap_name", "expected_check"),
    [
        (Protocol.TCP, 27017, "mongod", "exposure.service"),
        (Protocol.TCP, 636, "ldapssl", "configuration.tls"),
        (Protocol.UDP, 5353, "zeroconf", "exposure.service"),
        (Protocol.UDP, 1701, "L2TP", None),  # was an unexpected service on a VPN appliance
    ],
)
def test_an_imported_nmap_name_reaches_the_checks_identifications_name_reaches(
    protocol: Protocol, port: int, nmap_name: str, expected_check: str | None
) -> None:
    """nmap's port table says mongod and ldapssl where the checks read mongodb and ldaps: a
    re-imported nmap export of an open MongoDB raised no exposure finding."""
    imported = read_nmap_xml(_nmap_xml([(protocol.value, port, nmap_name)]))
    (result,) = imported.report.hosts[0].ports
    guessed = load_knowledge().port_names[(protocol.value, port)]
    assert result.identity is not None
    assert result.identity.service == guessed
    by_identification = replace(
        result, identity=ServiceIdentity(guessed, confidence=Confidence.LOW)
    )
    assert _applying(result) == _applying(by_identification)
    if expected_check is not None:
        assert expected_check in _applying(result)


def test_identification_names_its_ports_as_an_nmap_import_of_the_same_ports() -> None:
    port_names = load_knowledge().port_names
    listed = [(p, n, service_name(Protocol(p), n)) for p, n in port_names]
    imported = read_nmap_xml(_nmap_xml(listed)).report.hosts[0].ports
    assert {(r.protocol.value, r.port): r.identity.service for r in imported if r.identity} == (
        dict(port_names)
    )


def _names_the_checks_read() -> set[str]:
    exposure = load_data("exposure.yaml")
    names = set(exposure["services"]) | set(exposure["ports"].values())
    names |= set(load_data("backdoors.yaml")["vpn_expected_services"])
    for check in NETWORK_CHECKS:
        names |= check.services
    return names


def test_the_checks_read_no_name_that_an_import_or_identification_never_gives() -> None:
    """Every nmap spelling is read as kenshin's before the checks see it: a check that
    listed 'mongod' or 'memcached' would wait for a name that never comes."""
    nmap_spellings = {nmap for nmap, ours in _aliases().items() if nmap != ours}
    assert _names_the_checks_read() & nmap_spellings == set()
    gives = set(load_knowledge().port_names.values()) | TLS_SERVICES
    gives |= {rule.service for rule in load_knowledge().rules}
    assert set(_aliases().values()) <= gives | _names_the_checks_read()


def test_ports_accepts_kenshins_names_beside_nmaps() -> None:
    assert parse_ports("mongod") == parse_ports("mongodb") == (27017,)
    assert parse_ports("ldapssl,ldaps") == (636,)
    assert parse_ports("mdns", Protocol.UDP) == (5353,)
