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


_FORTINET_OID = bytes.fromhex("2b06010401e044010101")  # 1.3.6.1.4.1.12356.1.1.1 (illustrative)


def test_snmp_fortigate_sysdescr_gives_the_firmware_version() -> None:
    # the sysDescr format of a field report (issue 15): model, version, build, date
    descr = "FortiGate-60F v7.0.11,build0489,230321 (GA)"
    ident = run(lambda d: s.snmp_response(d, descr, _FORTINET_OID) if b"public" in d else None)
    assert (ident.service, ident.product) == ("snmp", "Fortinet FortiGate-60F")
    assert ident.version == "v7.0.11,build0489,230321 (GA)"
    assert ident.cpe == ("cpe:2.3:o:fortinet:fortios:7.0.11:*:*:*:*:*:*:*",)
    assert dict(ident.extra)["device"] == "Fortinet FortiGate-60F"


def test_snmp_fortigate_model_only_sysdescr_has_no_version() -> None:
    ident = run(
        lambda d: s.snmp_response(d, "FortiGate-60F", _FORTINET_OID) if b"public" in d else None
    )
    assert (ident.product, ident.version) == ("Fortinet FortiGate", "")
    assert ident.cpe == ("cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",)


def test_snmp_fortigate_fgsysversion_gives_the_version_a_model_only_sysdescr_hides() -> None:
    ident = run(
        lambda d: (
            s.snmp_response(d, "FortiGate-60F", _FORTINET_OID, "v7.0.11,build0489,230321 (GA)")
            if b"public" in d
            else None
        )
    )
    assert (ident.product, ident.version) == ("Fortinet FortiGate", "v7.0.11,build0489,230321 (GA)")
    assert ident.cpe == ("cpe:2.3:o:fortinet:fortios:7.0.11:*:*:*:*:*:*:*",)


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


def test_ssdp_miniupnpd() -> None:
    # UPnP Device Architecture 2.0 §1.3.3 search response.
    reply = (
        b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: upnp:rootdevice\r\n"
        b"USN: uuid:0000::upnp:rootdevice\r\nEXT:\r\n"
        b"SERVER: Linux/3.10 UPnP/1.1 MiniUPnPd/1.9\r\nLOCATION: http://127.0.0.1:5000/rootDesc.xml\r\n\r\n"
    )
    ident = run(lambda d: reply if d.startswith(b"M-SEARCH") else None)
    assert (ident.service, ident.product, ident.version) == ("upnp", "MiniUPnP", "1.9")


def test_sip_asterisk_and_plain_sip() -> None:
    def answer(agent: str) -> Callable[[bytes], bytes | None]:
        return lambda d: (
            f"SIP/2.0 200 OK\r\nCSeq: 42 OPTIONS\r\n{agent}Content-Length: 0\r\n\r\n".encode()
            if d.startswith(b"OPTIONS sip:")
            else None
        )

    asterisk = run(answer("Server: Asterisk PBX 16.28.0\r\n"))
    plain = run(answer(""))
    assert (asterisk.service, asterisk.product, asterisk.version) == (
        "sip",
        "Asterisk PBX",
        "16.28.0",
    )
    assert (plain.service, plain.product) == ("sip", "")


def test_mssql_browser_version() -> None:
    text = (
        b"ServerName;SQL01;InstanceName;MSSQLSERVER;IsClustered;No;Version;15.0.2000.5;tcp;1433;;"
    )
    reply = b"\x05" + len(text).to_bytes(2, "little") + text
    ident = run(lambda d: reply if d == b"\x03" else None)
    assert (ident.service, ident.product, ident.version) == (
        "ms-sql-m",
        "Microsoft SQL Server",
        "15.0.2000.5",
    )


def test_tftp_error_from_another_port() -> None:
    # RFC 1350 §4: the server answers from a new transfer port.
    async def go() -> ServiceIdentity:
        loop = asyncio.get_running_loop()
        other, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=(s.HOST, 0)
        )

        class Tftp(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                if data[:2] == b"\x00\x01":
                    other.sendto(b"\x00\x05\x00\x01File not found\x00", addr)  # type: ignore[attr-defined]

        server, _ = await loop.create_datagram_endpoint(Tftp, local_addr=(s.HOST, 0))
        port = server.get_extra_info("sockname")[1]
        try:
            result = await identify_port(s.HOST, open_udp(port), FAST)
        finally:
            server.close()
            other.close()
        assert result.identity is not None
        return result.identity

    ident = asyncio.run(go())
    assert ident.service == "tftp"
    assert dict(ident.extra)["tftp_answer"] == "File not found"


def test_snmpv3_engine_id_names_net_snmp() -> None:
    # RFC 3414 Report: engine ID 80001f88 04 ... = net-snmp's enterprise 8072, text format.
    engine = bytes.fromhex("80001f8804") + b"lab-agent"
    usm = s.ber(
        0x30,
        s.ber(4, engine)
        + b"\x02\x01\x05"
        + b"\x02\x02\x01\x00"
        + s.ber(4, b"")
        + s.ber(4, b"")
        + s.ber(4, b""),
    )
    report = s.ber(
        0x30,
        b"\x02\x01\x03"
        + s.ber(0x30, b"\x02\x02\x4b\x53\x02\x03\x00\xff\xe3" + s.ber(4, b"\x00") + b"\x02\x01\x03")
        + s.ber(4, usm)
        + s.ber(
            0x30,
            s.ber(4, engine)
            + s.ber(4, b"")
            + s.ber(0xA8, b"\x02\x02\x4b\x54\x02\x01\x00\x02\x01\x00" + s.ber(0x30, b"")),
        ),
    )
    ident = run(lambda d: report if d[2:5] == b"\x02\x01\x03" else None)
    assert (ident.service, ident.product) == ("snmp", "net-snmp")
    assert dict(ident.extra)["snmp_engine_id"].startswith("80001f88")


def test_netbios_node_status() -> None:
    def respond(d: bytes) -> bytes | None:
        if d[12:14] != b"\x20\x43":
            return None
        names = b"RECEPTION-PC   \x00\x04\x00" + b"WORKGROUP      \x00\x84\x00"
        data = bytes([2]) + names + b"\x00\x11\x22\x33\x44\x55"
        return (
            d[:2]
            + b"\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00"
            + d[12:46]
            + b"\x00\x21\x00\x01\x00\x00\x00\x00"
            + len(data).to_bytes(2, "big")
            + data
        )

    ident = run(respond)
    assert ident.service == "netbios-ns"
    assert "RECEPTION-PC<00>" in dict(ident.extra)["netbios_names"]
