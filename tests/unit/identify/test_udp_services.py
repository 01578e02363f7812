"""Identification of UDP services that answered: DNS, NTP, SNMP, IKE — and echoes or
garbage that must not be taken for them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from kenshin.domain.enums import Confidence
from kenshin.domain.scan import ServiceIdentity
from kenshin.identify import identify_port

from . import servers as s
from .conftest import FAST, open_udp, udp_server

pytestmark = pytest.mark.timeout(60)


async def _identify(responder: Callable[[bytes], bytes | None]) -> ServiceIdentity:
    async with udp_server(responder) as port:
        result = await identify_port(s.HOST, open_udp(port), FAST)
    assert result.identity is not None
    return result.identity


def run(responder: Callable[[bytes], bytes | None]) -> ServiceIdentity:
    return asyncio.run(_identify(responder))


def _is_dns_query(data: bytes) -> bool:
    return len(data) > 12 and b"\x07version\x04bind" in data


def test_dnsmasq_version_bind() -> None:
    ident = run(lambda d: s.dns_version_answer(d, "dnsmasq-2.89") if _is_dns_query(d) else None)
    assert (ident.service, ident.product, ident.version) == ("domain", "dnsmasq", "2.89")
    assert ident.cpe == ("cpe:2.3:a:thekelleys:dnsmasq:2.89:*:*:*:*:*:*:*",)


def test_bind_version_keeps_the_debian_suffix() -> None:
    ident = run(
        lambda d: s.dns_version_answer(d, "9.18.28-1~deb12u2-Debian") if _is_dns_query(d) else None
    )
    assert (ident.product, ident.version) == ("ISC BIND", "9.18.28-1~deb12u2-Debian")
    assert ident.cpe == ("cpe:2.3:a:isc:bind:9.18.28:*:*:*:*:*:*:*",)


def test_ntp_server_reply() -> None:
    ident = run(lambda d: s.ntp_reply(4, 3) if d[:1] == b"\x23" else None)
    assert ident.service == "ntp"
    extra = dict(ident.extra)
    assert extra["ntp_stratum"] == "3"
    assert extra["protocol_version"] == "v4"


def test_snmp_yamaha_sysdescr() -> None:
    descr = "RTX1210 Rev.14.01.38 (Fri Aug 23 17:42:28 2019)"
    ident = run(
        lambda d: (
            s.snmp_response(d, descr, bytes.fromhex("2b060104018a2f0101"))
            if b"public" in d
            else None
        )
    )
    assert (ident.service, ident.product, ident.version) == (
        "snmp",
        "YAMAHA RTX1210",
        "Rev.14.01.38",
    )
    assert ident.cpe == ("cpe:2.3:o:yamaha:rtx1210_firmware:14.01.38:*:*:*:*:*:*:*",)
    assert dict(ident.extra)["snmp_sysDescr"] == descr


def test_snmp_linux_net_snmp() -> None:
    descr = "Linux lab-edge 6.1.0-28-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 x86_64"
    net_snmp_linux = bytes.fromhex("2b06010401bf0803020a")  # 1.3.6.1.4.1.8072.3.2.10
    ident = run(lambda d: s.snmp_response(d, descr, net_snmp_linux) if b"public" in d else None)
    assert (ident.service, ident.product) == ("snmp", "net-snmp")
    assert "YAMAHA" not in ident.product


def test_ike_fortinet_vendor_id() -> None:
    vids = [
        bytes.fromhex("4a131c81070358455c5728f20e95452f"),
        bytes.fromhex("1d6e178f6c2c0be284985465450fe9d4"),
    ]
    ident = run(lambda d: s.ike_reply(d, vids) if len(d) > 28 else None)
    assert (ident.service, ident.product) == ("isakmp", "Fortinet IKE")
    assert "Fortinet FortiGate" in dict(ident.extra)["ike_vendor_ids"]


def test_ike_with_standard_ids_only_names_no_vendor() -> None:
    vids = [bytes.fromhex("afcad71368a1f1c96b8696fc77570100")]
    ident = run(lambda d: s.ike_reply(d, vids) if len(d) > 28 else None)
    assert ident.service == "isakmp"
    assert ident.product == ""
    assert dict(ident.extra)["ike_vendor_ids"] == "Dead Peer Detection 1.0"


def test_echo_service_is_not_taken_for_anything() -> None:
    ident = run(lambda d: d)
    assert ident.confidence is Confidence.LOW
    assert ident.product == ""


def test_garbage_answer_is_low_confidence() -> None:
    ident = run(lambda d: b"\x00\x01garbage\xff" * 10)
    assert ident.confidence is Confidence.LOW
