"""One vocabulary of service names between identification and the checks, and the
checks' lists read from the knowledge data rather than restated in code.

Which names are web services, which run inside TLS and what a VPN appliance is expected to
offer were written in several checks in different words; these tests hold them to the
names identification actually reports.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from kenshin.checks import CheckSettings, CheckStats
from kenshin.checks._net import http_get
from kenshin.checks.accounts import HttpDefaultCredentials
from kenshin.checks.backdoor import UnexpectedServiceOnVpn
from kenshin.checks.exposure import AdminWebExposure
from kenshin.checks.http import LoginWithoutTls
from kenshin.checks.tls import TlsConfiguration, weak_cipher_markers
from kenshin.domain import Protocol
from kenshin.domain.scan import TLS_SERVICES, WEB_SERVICES
from kenshin.identify import load_knowledge

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
