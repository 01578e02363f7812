"""Identification of UDP services that answered: DNS, NTP, SNMP, IKE — and echoes or
garbage that must not be taken for them."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable

import pytest

from kenshin.checks import CheckTarget
from kenshin.checks.exposure import ServiceExposure
from kenshin.domain.enums import Confidence
from kenshin.domain.scan import PortResult, PortState, Protocol, ServiceIdentity
from kenshin.identify import identify_port, load_knowledge

from . import servers as s
from .conftest import FAST, open_udp, udp_server

pytestmark = pytest.mark.timeout(60)


async def _identify(responder: Callable[[bytes], bytes | None]) -> ServiceIdentity:
    async with udp_server(responder) as port:
        result = await identify_port(s.HOST, open_udp(port), FAST, gate=s.GATE)
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
            result = await identify_port(s.HOST, open_udp(port), FAST, gate=s.GATE)
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


# -- version-bearing sysDescr of edge devices (issue 15), each with a look-alike ------------

_CISCO_OID = bytes.fromhex("2b0601040109018f0f")  # 1.3.6.1.4.1.9.1.1935 (illustrative)
_PAN_OID = bytes.fromhex("2b0601040181c675020323")  # 1.3.6.1.4.1.25461.2.3.35
_SONICWALL_OID = bytes.fromhex("2b06010401c42501")  # 1.3.6.1.4.1.8741.1 (SonicWall)
_NEC_OID = bytes.fromhex("2b0601040177015412")  # 1.3.6.1.4.1.119.1.84.18 (illustrative)


def _snmp(descr: str, oid: bytes, pan: str | None = None) -> ServiceIdentity:
    return run(
        lambda d: s.snmp_response(d, descr, oid, pan_sw_version=pan) if b"public" in d else None
    )


def test_snmp_yamaha_switch_is_not_taken_for_a_router() -> None:
    # a YAMAHA SWX switch prints the same "<model> Rev.x.y.z (date)" form: not an RTX
    ident = _snmp("SWX2310-10G Rev.2.02.09 (Mon Jan 17 10:00:00 2022)", b"\x2b\x06\x01")
    assert "YAMAHA" not in ident.product
    assert ident.version == ""


def test_snmp_nec_ix_sysdescr_gives_model_and_version() -> None:
    descr = (
        "NEC Portable Internetwork Core Operating System Software, IX Series IX2215 "
        "(magellan-sec) Software, Version 10.7.18, RELEASE SOFTWARE"
    )
    ident = _snmp(descr, _NEC_OID)
    assert (ident.product, ident.version) == ("NEC UNIVERGE IX2215", "10.7.18")
    assert ident.cpe == ("cpe:2.3:o:nec:univerge_ix2215_firmware:10.7.18:*:*:*:*:*:*:*",)


def test_snmp_nec_other_product_with_a_version_is_not_an_ix() -> None:
    ident = _snmp("NEC UNIVERGE QX-S1016GT-4G Software, Version 1.1.0.24", _NEC_OID)
    assert "IX" not in ident.product
    assert ident.version == ""


def test_snmp_cisco_ios_sysdescr() -> None:
    descr = (
        "Cisco IOS Software, C880 Software (C880DATA-UNIVERSALK9-M), Version 15.2(4)M7, "
        "RELEASE SOFTWARE (fc2)"
    )
    ident = _snmp(descr, _CISCO_OID)
    assert (ident.product, ident.version) == ("Cisco IOS", "15.2(4)M7")
    # CPE 2.3 formatted strings escape '(' and ')' and lower-case (NVD's form)
    assert ident.cpe == ("cpe:2.3:o:cisco:ios:15.2\\(4\\)m7:*:*:*:*:*:*:*",)


def test_snmp_cisco_ios_xe_is_not_filed_as_ios() -> None:
    descr = (
        "Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), "
        "Version 17.9.4a, RELEASE SOFTWARE (fc4)"
    )
    ident = _snmp(descr, _CISCO_OID)
    assert (ident.product, ident.version) == ("Cisco IOS XE", "17.9.4a")
    assert ident.cpe == ("cpe:2.3:o:cisco:ios_xe:17.9.4a:*:*:*:*:*:*:*",)


def test_snmp_cisco_asa_sysdescr() -> None:
    ident = _snmp("Cisco Adaptive Security Appliance Version 9.8(1)5", _CISCO_OID)
    assert (ident.product, ident.version) == ("Cisco ASA", "9.8(1)5")
    assert ident.cpe == (
        "cpe:2.3:a:cisco:adaptive_security_appliance_software:9.8\\(1\\)5:*:*:*:*:*:*:*",
    )


def test_snmp_cisco_pix_is_not_an_asa() -> None:
    # the ASA's predecessor prints the same form; its releases are not ASA releases
    ident = _snmp("Cisco PIX Security Appliance Version 8.0(4)", _CISCO_OID)
    assert "ASA" not in ident.product
    assert ident.version == ""


def test_snmp_sonicwall_gen6_and_gen7_sysdescr() -> None:
    ident = _snmp("SonicWALL NSA 2650 (SonicOS Enhanced 6.5.4.4-44n)", _SONICWALL_OID)
    assert (ident.product, ident.version) == ("SonicWall NSA 2650", "6.5.4.4-44n")
    assert ident.cpe == ("cpe:2.3:o:sonicwall:sonicos:6.5.4.4-44n:*:*:*:*:*:*:*",)
    ident = _snmp("SonicWALL TZ 370 (SonicOS 7.0.1-5051-R2624)", _SONICWALL_OID)
    assert (ident.product, ident.version) == ("SonicWall TZ 370", "7.0.1-5051-R2624")


def test_snmp_sonicwall_without_a_sonicos_release_has_no_version() -> None:
    # a SonicWall sysDescr naming another firmware (SMA's) is not a SonicOS release
    ident = _snmp("SonicWALL SMA 210 (SMA 10.2.1.9-57sv)", _SONICWALL_OID)
    assert ident.version == ""
    assert not any("sonicos" in c for c in ident.cpe)


def test_snmp_panos_version_from_pan_sys_sw_version() -> None:
    ident = _snmp("Palo Alto Networks PA-3200 series firewall", _PAN_OID, pan="10.2.9-h1")
    assert (ident.product, ident.version) == ("Palo Alto Networks PA-3200", "10.2.9-h1")
    assert ident.cpe == ("cpe:2.3:o:paloaltonetworks:pan-os:10.2.9-h1:*:*:*:*:*:*:*",)


def test_snmp_panos_without_the_pan_mib_names_the_model_only() -> None:
    ident = _snmp("Palo Alto Networks PA-3200 series firewall", _PAN_OID)
    assert (ident.product, ident.version) == ("Palo Alto Networks PA-3200", "")
    assert ident.cpe == ("cpe:2.3:o:paloaltonetworks:pan-os:*:*:*:*:*:*:*:*",)


def test_snmp_version_of_another_vendor_is_not_taken_for_panos() -> None:
    # a FortiGate whose agent also answers the PAN object must stay a FortiGate
    ident = _snmp("FortiGate-60F v7.0.11,build0489,230321 (GA)", _FORTINET_OID, pan="10.2.9")
    assert ident.product == "Fortinet FortiGate-60F"
    assert "paloalto" not in " ".join(ident.cpe)


def _mdns_answer(query: bytes) -> bytes | None:
    """A DNS-SD answer to the services meta-query: one PTR (RFC 6763 §9)."""
    if b"\x09_services\x07_dns-sd" not in query:
        return None
    rdata = b"\x04_ipp\x04_tcp\x05local\x00"
    answer = b"\xc0\x0c" + struct.pack(">HHIH", 12, 1, 120, len(rdata)) + rdata
    return query[:2] + struct.pack(">HHHHH", 0x8400, 1, 1, 0, 0) + query[12:] + answer


def test_mdns_is_named_as_the_port_table_and_the_exposure_check_name_it() -> None:
    """The rule said 'zeroconf' while the port table and exposure.yaml say 'mdns': an mDNS
    responder that answered from the internet raised no exposure finding."""
    ident = run(_mdns_answer)
    assert ident.service == "mdns"
    assert load_knowledge().port_names[("udp", 5353)] == ident.service
    mdns = PortResult(Protocol.UDP, 5353, PortState.OPEN, "udp-response", ident)
    assert ServiceExposure().applies_to(CheckTarget("127.0.0.1", mdns))
