"""Protocol decoders: a binary answer turned into ``key: value`` text lines and facts.

Match rules (data) run their regexes over the text a decoder returns, so rules for
binary protocols read like rules for text banners. A decoder never raises on garbage:
a malformed answer gives text with ``malformed`` in it, or the raw bytes as Latin-1.
Formats: RFC 1157/3416/3414 and X.690 (SNMP, BER), RFC 4511 (LDAP), RFC 1035 (DNS),
RFC 5905 (NTP), RFC 1305 appendix B (NTP control), RFC 1002 (NetBIOS node status),
RFC 2408/7296 (ISAKMP/IKEv2), [MS-RDPBCGR] 2.2.1.2 (X.224 Connection Confirm),
[MS-SMB2] 2.2.4 (NEGOTIATE), PostgreSQL frontend/backend protocol (ErrorResponse),
MQTT 3.1.1 §3.2 (CONNACK), MongoDB wire protocol (OP_MSG, BSON), memcached UDP frame.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kenshin.identify.rules import VendorId
from kenshin.net import ber
from kenshin.net import telnet as telnet_wire


@dataclass(frozen=True)
class Decoded:
    text: str
    facts: tuple[tuple[str, str], ...] = ()


def latin(data: bytes) -> str:
    return data.decode("latin-1")


def printable(data: bytes, limit: int = 160) -> str:
    """A short, safe rendering of raw bytes for evidence text."""
    text = data[:limit].decode("latin-1")
    shown = "".join(ch if 32 <= ord(ch) < 127 else f"\\x{ord(ch):02x}" for ch in text)
    return shown + ("…" if len(data) > limit else "")


# -- SNMP and LDAP, in the shared BER codec (kenshin.net.ber) -------------------------


_SNMP_NAMES = {
    "1.3.6.1.2.1.1.1.0": "sysDescr",
    "1.3.6.1.2.1.1.2.0": "sysObjectID",
    "1.3.6.1.2.1.1.5.0": "sysName",
    "1.3.6.1.4.1.12356.101.4.1.1.0": "fgSysVersion",  # FORTINET-FORTIGATE-MIB
    "1.3.6.1.4.1.25461.2.1.2.1.1.0": "panSysSwVersion",  # PAN-COMMON-MIB
}


def snmp(data: bytes) -> Decoded:
    try:
        _tag, message, _ = ber.read(data)
        items = ber.children(message)
        version = {0: "1", 1: "2c", 3: "3"}.get(int.from_bytes(items[0][1], "big"), "?")
        lines = [f"snmp.version: {version}"]
        facts = [("snmp_version", version)]
        if version == "3":
            # RFC 3414 §2.4: a Report carries the authoritative engine ID, boots, time.
            _t, usm, _ = ber.read(items[2][1])
            engine, boots, engine_time = ber.children(usm)[:3]
            engine_hex = engine[1].hex()
            lines += [
                f"snmp.engine_id: {engine_hex}",
                f"snmp.engine_boots: {int.from_bytes(boots[1], 'big')}",
                f"snmp.engine_time: {int.from_bytes(engine_time[1], 'big')}",
            ]
            facts.append(("snmp_engine_id", engine_hex))
            if len(engine[1]) >= 5 and engine[1][0] & 0x80:
                enterprise = int.from_bytes(engine[1][:4], "big") & 0x7FFFFFFF
                lines.append(f"snmp.engine_enterprise: {enterprise}")
            return Decoded("\n".join(lines), tuple(facts))
        pdu_tag, pdu = items[2]
        if pdu_tag != 0xA2:  # only a Response-PDU is an answer
            return Decoded("snmp.not-a-response")
        pdu_items = ber.children(pdu)
        error_status = int.from_bytes(pdu_items[1][1], "big")
        lines.append(f"snmp.error: {error_status}")
        for _t, binding in ber.children(pdu_items[3][1]):
            (_t1, oid), (vtag, value) = ber.children(binding)[:2]
            name = _SNMP_NAMES.get(ber.oid_text(oid), ber.oid_text(oid))
            if vtag == 0x06:
                shown = ber.oid_text(value)
            elif vtag in (0x80, 0x81, 0x82):  # noSuchObject, noSuchInstance, endOfMibView
                shown = "(none)"
            else:
                shown = value.decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")
            lines.append(f"snmp.{name}: {shown}")
            facts.append((f"snmp_{name}", shown))
        return Decoded("\n".join(lines), tuple(facts))
    except (ValueError, IndexError):
        return Decoded("snmp.malformed\n" + latin(data))


def ldap(data: bytes) -> Decoded:
    """A rootDSE SearchResultEntry: its attributes as ``ldap.<name>: value`` lines."""
    lines: list[str] = []
    facts: list[tuple[str, str]] = []
    try:
        offset = 0
        while offset < len(data):
            _tag, message, offset = ber.read(data, offset)
            items = ber.children(message)
            op_tag, op = items[1]
            if op_tag == 0x64:  # SearchResultEntry
                _dn, attributes = ber.children(op)[:2]
                for _t, attribute in ber.elements(attributes[1]):
                    (_tt, name), (_ts, values) = ber.children(attribute)[:2]
                    texts = [v.decode("utf-8", "replace") for _x, v in ber.children(values)]
                    key = name.decode("utf-8", "replace")
                    lines.append(f"ldap.{key}: {' | '.join(texts)}")
                    if key in {"vendorName", "vendorVersion", "supportedLDAPVersion"}:
                        facts.append((f"ldap_{key}", " | ".join(texts)))
            elif op_tag == 0x65:  # SearchResultDone
                result = ber.children(op)
                lines.append(f"ldap.result: {int.from_bytes(result[0][1], 'big')}")
    except (ValueError, IndexError):
        lines.append("ldap.malformed")
    return Decoded("\n".join(lines) or latin(data), tuple(facts))


def dns(data: bytes) -> Decoded:
    """The TXT answers of a version.bind (CHAOS) query."""
    try:
        _id, flags, qd, an, _ns, _ar = struct.unpack("!HHHHHH", data[:12])
        if not flags & 0x8000:  # QR clear: a query (or our own echo), not an answer
            return Decoded("dns.not-a-response")
        lines = [f"dns.rcode: {flags & 0x0F}", f"dns.answers: {an}"]
        offset = 12
        for _ in range(qd):
            offset = _skip_name(data, offset) + 4
        texts: list[str] = []
        for _ in range(an):
            offset = _skip_name(data, offset)
            rtype, _cls, _ttl, length = struct.unpack("!HHIH", data[offset : offset + 10])
            offset += 10
            rdata = data[offset : offset + length]
            offset += length
            if rtype == 16:
                position = 0
                while position < len(rdata):
                    size = rdata[position]
                    texts.append(
                        rdata[position + 1 : position + 1 + size].decode("utf-8", "replace")
                    )
                    position += 1 + size
        lines += [f"dns.version.bind: {t}" for t in texts]
        facts = (("dns_version_bind", " ".join(texts)),) if texts else ()
        return Decoded("\n".join(lines), facts)
    except (struct.error, IndexError, ValueError):
        return Decoded("dns.malformed")


def dns_tcp(data: bytes) -> Decoded:
    """A DNS answer over TCP: the message behind its 2-byte length."""
    return dns(data[2:]) if len(data) > 14 else Decoded("dns.malformed")


def _skip_name(data: bytes, offset: int) -> int:
    for _ in range(128):
        length = data[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:
            return offset + 2
        offset += 1 + length
    raise ValueError("name too long")


def netbios(data: bytes) -> Decoded:
    """A node status response (RFC 1002 §4.2.18): the name table and the MAC address."""
    try:
        _id, flags, _qd, an = struct.unpack("!HHHH", data[:8])
        if not flags & 0x8000 or an < 1:
            return Decoded("netbios.not-a-response")
        offset = _skip_name(data, 12)
        rtype, _cls, _ttl, _length = struct.unpack("!HHIH", data[offset : offset + 10])
        offset += 10
        if rtype != 0x21:
            return Decoded("netbios.not-nbstat")
        count = data[offset]
        offset += 1
        lines: list[str] = []
        names: list[str] = []
        for _ in range(count):
            entry = data[offset : offset + 18]
            offset += 18
            name = entry[:15].decode("latin-1").rstrip()
            lines.append(f"netbios.name: {name}<{entry[15]:02x}>")
            names.append(f"{name}<{entry[15]:02x}>")
        mac = data[offset : offset + 6]
        if len(mac) == 6:
            lines.append("netbios.mac: " + ":".join(f"{b:02x}" for b in mac))
        return Decoded("\n".join(lines), (("netbios_names", ", ".join(names)),))
    except (struct.error, IndexError, ValueError):
        return Decoded("netbios.malformed")


NTP_LARGEST = 1024
"""An NTP reply is a 48-byte header, perhaps a MAC and a few extension fields; a larger
datagram (a service that answers every probe with 64 KB) is not one."""


def ntp(data: bytes) -> Decoded:
    if not 48 <= len(data) <= NTP_LARGEST:
        return Decoded("ntp.malformed")
    first, stratum, _poll, _precision = struct.unpack("!BBbb", data[:4])
    version = (first >> 3) & 0x07
    mode = first & 0x07
    refid = data[12:16]
    refid_text = (
        refid.rstrip(b"\0").decode("ascii", "replace")
        if stratum <= 1
        else ".".join(str(b) for b in refid)
    )
    lines = [
        f"ntp.version: {version}",
        f"ntp.mode: {mode}",
        f"ntp.stratum: {stratum}",
        f"ntp.refid: {refid_text}",
    ]
    facts = (
        ("ntp_version", str(version)),
        ("ntp_stratum", str(stratum)),
        ("ntp_refid", refid_text),
    )
    return Decoded("\n".join(lines), facts)


def ntp_control(data: bytes) -> Decoded:
    """A mode-6 READVAR answer: its ``name=value`` text (version="ntpd ...")."""
    if len(data) < 12 or data[0] & 0x07 != 6:
        return Decoded("ntp.control.malformed")
    count = struct.unpack("!H", data[10:12])[0]
    text = data[12 : 12 + count].decode("latin-1").replace("\r\n", " ")
    return Decoded("ntp.control: " + text)


# ISAKMP/IKEv2 exchange types (RFC 2408 §3.1, RFC 7296 §3.1).
_IKE_EXCHANGES = frozenset({1, 2, 3, 4, 5, 6, 32, 33, 34, 35, 36, 37})
_IKE_PAYLOADS = {
    1: "SA",
    4: "KE",
    5: "ID",
    10: "NONCE",
    11: "N",
    13: "VID",
    33: "SAv2",
    34: "KEv2",
    40: "NONCEv2",
    41: "Nv2",
    43: "VIDv2",
}


def ike(data: bytes, vendor_ids: tuple[VendorId, ...] = ()) -> Decoded:
    if data[:4] == b"\0\0\0\0":  # NAT-T non-ESP marker (RFC 3948): an SPI is never zero
        data = data[4:]
    if len(data) < 28:
        return Decoded("ike.malformed")
    next_payload = data[16]
    version = data[17]
    exchange = data[18]
    major = version >> 4
    declared = struct.unpack("!I", data[24:28])[0]
    if major not in (1, 2) or exchange not in _IKE_EXCHANGES or not 28 <= declared <= len(data):
        return Decoded("ike.not-ike")
    lines = [f"ike.version: {major}", f"ike.exchange: {exchange}"]
    facts: list[tuple[str, str]] = [("ike_version", str(major))]
    offset = 28
    vendors: list[str] = []
    for _ in range(32):
        if next_payload == 0 or offset + 4 > len(data):
            break
        following, _critical, length = struct.unpack("!BBH", data[offset : offset + 4])
        if length < 4:
            break
        body = data[offset + 4 : offset + length]
        name = _IKE_PAYLOADS.get(next_payload, str(next_payload))
        lines.append(f"ike.payload: {name}")
        if next_payload in (13, 43):
            known = next((v for v in vendor_ids if body.startswith(v.prefix)), None)
            label = known.name if known else "unknown"
            lines.append(f"ike.vid: {body.hex()} {label}")
            if known is not None:
                if known.vendor:
                    lines.append(f"ike.vendor: {known.vendor}")
                vendors.append(known.name)
            else:
                vendors.append(body.hex())
        if next_payload == 11 and len(body) >= 4:
            lines.append(f"ike.notify: {struct.unpack('!H', body[2:4])[0]}")
        next_payload = following
        offset += length
    if vendors:
        facts.append(("ike_vendor_ids", "; ".join(vendors)))
    return Decoded("\n".join(lines), tuple(facts))


_RDP_PROTOCOLS = {0: "rdp", 1: "ssl", 2: "hybrid", 8: "hybrid_ex", 4: "rdstls"}


def rdp(data: bytes) -> Decoded:
    """TPKT + X.224 Connection Confirm, and its RDP_NEG_RSP / RDP_NEG_FAILURE."""
    if len(data) < 11 or data[0] != 3 or data[5] & 0xF0 != 0xD0:
        return Decoded("rdp.none\n" + latin(data))
    lines = ["rdp.x224: connection-confirm"]
    facts: list[tuple[str, str]] = []
    if len(data) >= 19:
        kind = data[11]
        value = struct.unpack("<I", data[15:19])[0]
        if kind == 2:
            selected = _RDP_PROTOCOLS.get(value, str(value))
            lines.append(f"rdp.selected: {selected}")
            nla = "yes" if value in (2, 8) else "no"
            facts += [("rdp_security", selected), ("nla", nla)]
        elif kind == 3:
            lines.append(f"rdp.failure: {value}")
            facts.append(("rdp_negotiation_failure", str(value)))
            if value == 5:  # HYBRID_REQUIRED_BY_SERVER
                facts.append(("nla", "yes"))
    else:
        lines.append("rdp.selected: rdp-legacy")
        facts += [("rdp_security", "rdp"), ("nla", "no")]
    return Decoded("\n".join(lines), tuple(facts))


_SMB2_DIALECTS = {
    0x0202: "2.0.2",
    0x0210: "2.1",
    0x0300: "3.0",
    0x0302: "3.0.2",
    0x0311: "3.1.1",
    0x02FF: "2.???",
}


def smb(data: bytes) -> Decoded:
    body = data[4:] if len(data) > 4 else b""
    if body[:4] == b"\xfeSMB" and len(body) >= 64 + 8:
        security_mode, dialect = struct.unpack("<HH", body[66:70])
        name = _SMB2_DIALECTS.get(dialect, hex(dialect))
        signing = "required" if security_mode & 0x02 else "enabled" if security_mode & 1 else "off"
        return Decoded(
            f"smb.protocol: 2\nsmb.dialect: {name}\nsmb.signing: {signing}",
            (("smb_dialect", name), ("smb_signing", signing)),
        )
    if body[:4] == b"\xffSMB":
        return Decoded("smb.protocol: 1", (("smb_dialect", "NT LM 0.12"),))
    return Decoded("smb.none\n" + latin(data))


def pgsql(data: bytes) -> Decoded:
    """One byte answers to SSLRequest ('S'/'N'); an ErrorResponse's fields otherwise."""
    if data in (b"S", b"N"):
        return Decoded(f"pgsql.sslrequest: {data.decode()}")
    if data[:1] == b"E" and len(data) > 5:
        fields = data[5:].split(b"\0")
        lines = [
            f"pgsql.error.{f[:1].decode('latin-1')}: {f[1:].decode('utf-8', 'replace')}"
            for f in fields
            if f
        ]
        return Decoded("\n".join(lines))
    if data[:1] == b"R" and len(data) >= 9:
        return Decoded(f"pgsql.auth: {struct.unpack('!I', data[5:9])[0]}")
    return Decoded(latin(data))


def mqtt(data: bytes) -> Decoded:
    if len(data) >= 4 and data[0] == 0x20 and data[1] == 0x02:
        return Decoded(f"mqtt.connack: {data[3]}", (("mqtt_connack", str(data[3])),))
    return Decoded(latin(data))


def mongodb(data: bytes) -> Decoded:
    """A reply's BSON, flattened to ``mongodb.<key>: value`` for string and int fields."""
    if len(data) < 16:
        return Decoded(latin(data))
    _length, _rid, _to, opcode = struct.unpack("<iiii", data[:16])
    if opcode == 2013:  # OP_MSG: flags, then a kind-0 section
        document = data[21:]
    elif opcode == 1:  # OP_REPLY
        document = data[36:]
    else:
        return Decoded(latin(data))
    lines = [f"mongodb.opcode: {opcode}"]
    lines += [f"mongodb.{k}: {v}" for k, v in _bson_scalars(document)]
    return Decoded("\n".join(lines))


def _bson_scalars(document: bytes) -> Iterator[tuple[str, str]]:
    offset = 4
    for _ in range(256):
        if offset >= len(document) or document[offset] == 0:
            return
        kind = document[offset]
        end = document.find(b"\0", offset + 1)
        if end < 0:
            return
        key = document[offset + 1 : end].decode("utf-8", "replace")
        offset = end + 1
        if kind == 0x02:
            size = struct.unpack("<i", document[offset : offset + 4])[0]
            yield key, document[offset + 4 : offset + 3 + size].decode("utf-8", "replace")
            offset += 4 + size
        elif kind == 0x10:
            yield key, str(struct.unpack("<i", document[offset : offset + 4])[0])
            offset += 4
        elif kind in (0x01, 0x12, 0x09, 0x11):
            if kind == 0x01:
                yield key, str(struct.unpack("<d", document[offset : offset + 8])[0])
            offset += 8
        elif kind == 0x08:
            yield key, "true" if document[offset] else "false"
            offset += 1
        elif kind in (0x03, 0x04):
            size = struct.unpack("<i", document[offset : offset + 4])[0]
            offset += size
        elif kind == 0x07:
            offset += 12
        elif kind == 0x0A:
            continue
        else:
            return


def memcached_udp(data: bytes) -> Decoded:
    return Decoded(latin(data[8:]) if len(data) > 8 else latin(data))


def telnet(data: bytes) -> Decoded:
    """The text without IAC sequences, then one line listing the options negotiated
    (``telnet.options: WILL 1, WILL 3``): routers differ in what they ask for."""
    parsed = telnet_wire.parse(data)
    options = [f"{telnet_wire.VERBS[verb]} {option}" for verb, option in parsed.requests]
    text = latin(parsed.text)
    if options:
        text += "\ntelnet.options: " + ", ".join(options)
        return Decoded(text, (("telnet_options", ", ".join(options)),))
    return Decoded(text)


def text(data: bytes) -> Decoded:
    if data[:1] == b"\xff":
        return telnet(data)
    return Decoded(latin(data))


_SIMPLE: dict[str, Callable[[bytes], Decoded]] = {
    "text": text,
    "telnet": telnet,
    "rdp": rdp,
    "smb": smb,
    "pgsql": pgsql,
    "mqtt": mqtt,
    "ldap": ldap,
    "snmp": snmp,
    "dns": dns,
    "dns_tcp": dns_tcp,
    "ntp": ntp,
    "netbios": netbios,
    "ntp_control": ntp_control,
    "mongodb": mongodb,
    "memcached_udp": memcached_udp,
}


def decode(name: str, data: bytes, vendor_ids: tuple[VendorId, ...] = ()) -> Decoded:
    """The decoded form of ``data``; never raises."""
    try:
        if name == "ike":
            return ike(data, vendor_ids)
        return _SIMPLE[name](data)
    except Exception:  # a decoder bug or hostile input must not stop identification
        return Decoded(latin(data))
