"""UDP emulators: each answers the payload a UDP scan sends, per its protocol's spec.

Requests are hand-built from the specifications named in each emulator's docstring;
replies are parsed field by field. Hardened options make the same request go unanswered.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import struct

import pytest

from kenshin.lab.emulators import running
from kenshin.net import ber

LOOPBACK = "127.0.0.1"


def exchange(
    port: int, payload: bytes, *, timeout: float = 3.0, many: bool = False, any_port: bool = False
) -> list[tuple[bytes, int]]:
    """Send one datagram; collect the replies (with their source ports)."""
    replies: list[tuple[bytes, int]] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(payload, (LOOPBACK, port))
        while True:
            try:
                data, source = sock.recvfrom(65536)
            except TimeoutError:
                break
            if source[1] != port and not any_port:
                continue
            replies.append((data, source[1]))
            if not many:
                break
            sock.settimeout(0.5)
    return replies


# --- ntp_mode6 -------------------------------------------------------------------------


def readvar() -> bytes:
    return struct.pack(">BBHHHHH", (2 << 3) | 6, 2, 1, 0, 0, 0, 0)


def monlist() -> bytes:
    return struct.pack(">BBBB", (2 << 3) | 7, 0, 3, 42) + b"\x00" * 44


def test_ntp_mode6_and_monlist_answer_like_an_old_ntpd() -> None:
    with running("ntp_mode6") as emulator:
        fragments = exchange(emulator.port, readvar(), many=True)
        monitor = exchange(emulator.port, monlist(), many=True)
        client = exchange(emulator.port, b"\x23" + b"\x00" * 47)
    text = b""
    for data, _ in fragments:
        assert data[0] & 0x07 == 6
        assert data[1] & 0x80
        count = struct.unpack(">H", data[10:12])[0]
        text += data[12 : 12 + count]
    assert b'version="ntpd 4.2.6p5' in text
    assert b"stratum=2" in text
    assert len(monitor) == 6
    assert [data[1] & 0x7F for data, _ in monitor] == list(range(6))  # ntpd numbers them
    assert [bool(data[0] & 0x40) for data, _ in monitor] == [True] * 5 + [False]  # "more"
    items = sum(struct.unpack(">H", data[4:6])[0] for data, _ in monitor)
    assert items == 36
    assert all(struct.unpack(">H", data[6:8])[0] == 72 for data, _ in monitor)
    assert sum(len(d) for d, _ in monitor) > 40 * len(monlist())  # amplification
    assert client
    assert client[0][0][0] & 0x07 == 4


def test_ntp_noquery_twin_stays_silent_but_serves_time() -> None:
    with running("ntp_mode6", mode6="false", monlist="false") as emulator:
        assert exchange(emulator.port, readvar(), timeout=1.0) == []
        assert exchange(emulator.port, monlist(), timeout=1.0) == []
        assert exchange(emulator.port, b"\x23" + b"\x00" * 47)


# --- ssdp ------------------------------------------------------------------------------

M_SEARCH = (
    b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n'
    b"MX: 1\r\nST: ssdp:all\r\n\r\n"
)


def test_ssdp_search_response() -> None:
    with running("ssdp") as emulator:
        [(reply, _)] = exchange(emulator.port, M_SEARCH)
    lines = reply.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    assert headers["SERVER"] == "Linux/3.14.0 UPnP/1.0 miniupnpd/1.9"
    assert headers["ST"] == "upnp:rootdevice"
    assert headers["USN"].startswith("uuid:")
    assert headers["LOCATION"].endswith("/rootDesc.xml")


# --- netbios_ns ------------------------------------------------------------------------


def test_netbios_node_status() -> None:
    name = b" " + b"CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" + b"\x00"  # "*" encoded (RFC 1002)
    query = struct.pack(">HHHHHH", 0x1234, 0, 1, 0, 0, 0) + name + struct.pack(">HH", 0x21, 1)
    with running("netbios_ns", name="NURSE-PC") as emulator:
        [(reply, _)] = exchange(emulator.port, query)
    transaction, flags, _q, answers = struct.unpack(">HHHH", reply[:8])
    assert (transaction, flags & 0x8000, answers) == (0x1234, 0x8000, 1)
    rdata = reply[12 + 34 + 10 :]
    count = rdata[0]
    names = [rdata[1 + 18 * i : 1 + 18 * i + 15].rstrip() for i in range(count)]
    assert b"NURSE-PC" in names
    assert b"WORKGROUP" in names
    assert rdata[1 + 18 * count : 1 + 18 * count + 6] == bytes.fromhex("00155d010203")


# --- tftp ------------------------------------------------------------------------------


def test_tftp_answers_from_a_new_port() -> None:
    with running("tftp") as emulator:
        missing = exchange(emulator.port, b"\x00\x01nothing.bin\x00octet\x00", any_port=True)
        present = exchange(emulator.port, b"\x00\x01startup-config\x00octet\x00", any_port=True)
    [(error, source)] = missing
    assert source != emulator.port
    assert error[:4] == b"\x00\x05\x00\x01"
    assert b"File not found" in error
    assert present[0][0][:4] == b"\x00\x03\x00\x01"


def test_tftp_same_port_option() -> None:
    with running("tftp", reply_port="same") as emulator:
        [(error, source)] = exchange(emulator.port, b"\x00\x01x\x00octet\x00")
    assert source == emulator.port
    assert error[:2] == b"\x00\x05"


# --- sip -------------------------------------------------------------------------------


def test_sip_options_ok() -> None:
    request = (
        b"OPTIONS sip:nm@127.0.0.1 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK776asdhds;rport\r\n"
        b"Max-Forwards: 70\r\nTo: <sip:nm@127.0.0.1>\r\nFrom: <sip:nm@127.0.0.1>;tag=1928301774\r\n"
        b"Call-ID: a84b4c76e66710\r\nCSeq: 63104 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    with running("sip", user_agent="Panasonic-KX-NS500/1.0") as emulator:
        [(reply, _)] = exchange(emulator.port, request)
    text = reply.decode()
    assert text.startswith("SIP/2.0 200 OK\r\n")
    assert "Call-ID: a84b4c76e66710" in text
    assert "CSeq: 63104 OPTIONS" in text
    assert "Server: Panasonic-KX-NS500/1.0" in text
    assert re.search(r"To: <sip:nm@127.0.0.1>;tag=\w+", text)
    assert "received=127.0.0.1" in text


# --- openvpn ---------------------------------------------------------------------------


def hard_reset() -> tuple[bytes, bytes]:
    session = os.urandom(8)
    return session, bytes([7 << 3]) + session + b"\x00" + struct.pack(">I", 0)


def test_openvpn_hard_reset_reply() -> None:
    session, request = hard_reset()
    with running("openvpn") as emulator:
        [(reply, _)] = exchange(emulator.port, request)
    assert reply[0] >> 3 == 8  # P_CONTROL_HARD_RESET_SERVER_V2
    assert reply[9] == 1
    assert reply[10:14] == b"\x00\x00\x00\x00"
    assert reply[14:22] == session


def test_openvpn_with_tls_auth_is_silent() -> None:
    _, request = hard_reset()
    with running("openvpn", tls_auth="true") as emulator:
        assert exchange(emulator.port, request, timeout=1.0) == []


# --- l2tp ------------------------------------------------------------------------------


def _avp(attribute: int, value: bytes) -> bytes:
    return struct.pack(">HHH", 0x8000 | (6 + len(value)), 0, attribute) + value


def test_l2tp_sccrp() -> None:
    avps = (
        _avp(0, b"\x00\x01")
        + _avp(2, b"\x01\x00")
        + _avp(3, b"\x00\x00\x00\x03")
        + _avp(7, b"scanner")
        + _avp(9, b"\x12\x34")
    )
    request = struct.pack(">HHHHHH", 0xC802, 12 + len(avps), 0, 0, 0, 0) + avps
    with running("l2tp") as emulator:
        [(reply, _)] = exchange(emulator.port, request)
    flags, _length, tunnel, _session, _ns, nr = struct.unpack(">HHHHHH", reply[:12])
    assert flags == 0xC802
    assert tunnel == 0x1234
    assert nr == 1
    body = reply[12:]
    assert body[6:8] == b"\x00\x02"  # Message Type SCCRP
    assert b"YAMAHA Corporation" in body
    assert b"rtx1210" in body


# --- radius ----------------------------------------------------------------------------


def test_radius_access_reject_with_valid_authenticator() -> None:
    authenticator = os.urandom(16)
    attributes = bytes([1, 7]) + b"admin"  # User-Name
    request = struct.pack(">BBH", 1, 42, 20 + len(attributes)) + authenticator + attributes
    with running("radius", secret="lab-secret") as emulator:
        [(reply, _)] = exchange(emulator.port, request)
    code, identifier, length = struct.unpack(">BBH", reply[:4])
    assert (code, identifier, length) == (3, 42, len(reply))
    expected = hashlib.md5(reply[:4] + authenticator + reply[20:] + b"lab-secret").digest()
    assert reply[4:20] == expected


# --- portmapper ------------------------------------------------------------------------


def rpc_call(procedure: int, version: int = 2, params: bytes = b"") -> bytes:
    return struct.pack(">IIIIII", 0xCAFE, 0, 2, 100000, version, procedure) + b"\x00" * 16 + params


def dump_entries(reply: bytes) -> list[tuple[int, int, int, int]]:
    xid, kind, accepted, _verf_flavor, _verf_len, status = struct.unpack(">IIIIII", reply[:24])
    assert (xid, kind, accepted, status) == (0xCAFE, 1, 0, 0)
    entries, offset = [], 24
    while struct.unpack(">I", reply[offset : offset + 4])[0] == 1:
        entries.append(struct.unpack(">IIII", reply[offset + 4 : offset + 20]))
        offset += 20
    return entries


def test_portmapper_dump_and_getport() -> None:
    with running("portmapper") as emulator:
        [(dump, _)] = exchange(emulator.port, rpc_call(4))
        [(getport, _)] = exchange(
            emulator.port, rpc_call(3, params=struct.pack(">IIII", 100003, 3, 6, 0))
        )
    programs = {entry[0] for entry in dump_entries(dump)}
    assert {100000, 100003, 100005} <= programs
    assert struct.unpack(">I", getport[-4:])[0] == 2049
    with running("portmapper", nfs="false") as emulator:
        [(dump, _)] = exchange(emulator.port, rpc_call(4))
    assert {entry[0] for entry in dump_entries(dump)} == {100000}


# --- mssql_browser ---------------------------------------------------------------------


def test_mssql_browser_svr_resp() -> None:
    with running("mssql_browser", version="14.0.1000.169") as emulator:
        [(reply, _)] = exchange(emulator.port, b"\x03")
    assert reply[0] == 0x05
    (length,) = struct.unpack("<H", reply[1:3])
    text = reply[3 : 3 + length].decode()
    assert "InstanceName;MSSQLSERVER;" in text
    assert "Version;14.0.1000.169;" in text
    assert text.endswith("tcp;1433;;")


# --- cldap -----------------------------------------------------------------------------


def cldap_search(attributes: list[str]) -> bytes:
    present = ber.octets("objectClass", tag=0x87)
    request = ber.sequence(
        ber.octets(""),
        ber.integer(0, tag=0x0A),
        ber.integer(0, tag=0x0A),
        ber.integer(0),
        ber.integer(0),
        ber.tlv(0x01, b"\x00"),
        present,
        ber.sequence(*(ber.octets(a) for a in attributes)),
        tag=0x63,
    )
    return ber.sequence(ber.integer(5), request)


def test_cldap_rootdse() -> None:
    with running("cldap", domain="clinic.example", dc_name="DC01") as emulator:
        [(reply, _)] = exchange(
            emulator.port, cldap_search(["dnsHostName", "defaultNamingContext"])
        )
    _tag, entry, offset = ber.read(reply)
    message_id, operation = ber.children(entry)
    assert int.from_bytes(message_id[1], "big") == 5
    assert operation[0] == 0x64
    _dn, attributes = ber.children(operation[1])
    found = {}
    for _t, attribute in ber.children(attributes[1]):
        (_, name), (_, values) = ber.children(attribute)
        found[name.decode()] = [v.decode() for _, v in ber.children(values)]
    assert found == {
        "defaultNamingContext": ["DC=clinic,DC=example"],
        "dnsHostName": ["DC01.clinic.example"],
    }
    _tag, done, _ = ber.read(reply, offset)
    assert ber.children(done)[1][0] == 0x65  # searchResDone follows in the same datagram


# --- ws_discovery ----------------------------------------------------------------------


def test_ws_discovery_probe_matches() -> None:
    message_id = "urn:uuid:0a6dc791-2be6-4991-9af1-454778a1917a"
    probe = (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
        'xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery"><soap:Header>'
        f"<wsa:MessageID>{message_id}</wsa:MessageID>"
        "<wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>"
        "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>"
        "</soap:Header><soap:Body><wsd:Probe/></soap:Body></soap:Envelope>"
    ).encode()
    with running("ws_discovery", device="camera") as emulator:
        [(reply, _)] = exchange(emulator.port, probe)
    text = reply.decode()
    assert f"<wsa:RelatesTo>{message_id}</wsa:RelatesTo>" in text
    assert "dn:NetworkVideoTransmitter" in text
    assert "/onvif/device_service" in text


# --- mdns ------------------------------------------------------------------------------


def _qname(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"


def test_mdns_services_query_legacy_unicast() -> None:
    query = struct.pack(">HHHHHH", 0x4242, 0, 1, 0, 0, 0) + _qname("_services._dns-sd._udp.local")
    query += struct.pack(">HH", 12, 1)
    with running("mdns", services="_http._tcp,_ipp._tcp") as emulator:
        [(reply, _)] = exchange(emulator.port, query)
    query_id, flags, questions, answers = struct.unpack(">HHHH", reply[:8])
    assert (query_id, flags & 0x8400, questions, answers) == (0x4242, 0x8400, 1, 2)
    assert _qname("_http._tcp.local") in reply
    assert _qname("_ipp._tcp.local") in reply


@pytest.mark.parametrize("name", ["ssdp", "sip", "mssql_browser", "cldap", "mdns", "l2tp"])
def test_udp_emulators_ignore_garbage(name: str) -> None:
    with running(name) as emulator:
        assert exchange(emulator.port, os.urandom(3), timeout=0.5) == []


def test_ws_discovery_answers_non_xml_with_a_soap_fault() -> None:
    with running("ws_discovery", device="printer") as emulator:
        [(reply, _)] = exchange(emulator.port, b"help\r\n\r\n")
    assert b"<faultstring>No XML element tag</faultstring>" in reply
    assert b"http://schemas.microsoft.com/windows/2006/08/wdp/print" in reply
