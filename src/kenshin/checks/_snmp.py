"""Just enough SNMP (v1/v2c GET of sysDescr) and BER to ask one question politely.

RFC 1157 (SNMPv1) and RFC 3416 (v2c PDUs) with X.690 BER. Written here because the
check needs one request and its answer, not an SNMP stack.
"""

from __future__ import annotations

from dataclasses import dataclass

SYS_DESCR_OID = bytes([0x2B, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00])  # 1.3.6.1.2.1.1.1.0


def _tlv(tag: int, value: bytes) -> bytes:
    length = len(value)
    if length < 0x80:
        encoded = bytes([length])
    else:
        raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
        encoded = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + encoded + value


def _integer(value: int) -> bytes:
    raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return _tlv(0x02, raw)


def get_request(community: str, request_id: int, version: int = 1) -> bytes:
    """A GetRequest for sysDescr.0; ``version`` 0 is SNMPv1, 1 is v2c."""
    varbind = _tlv(0x30, _tlv(0x06, SYS_DESCR_OID) + b"\x05\x00")
    pdu = _tlv(0xA0, _integer(request_id) + _integer(0) + _integer(0) + _tlv(0x30, varbind))
    return _tlv(0x30, _integer(version) + _tlv(0x04, community.encode()) + pdu)


def _read(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """One TLV at ``offset``: (tag, value, offset after it). Raises ValueError if cut."""
    if offset + 2 > len(data):
        raise ValueError("truncated")
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise ValueError("bad length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    if offset + length > len(data):
        raise ValueError("truncated")
    return tag, data[offset : offset + length], offset + length


@dataclass(frozen=True)
class SnmpAnswer:
    request_id: int
    error_status: int
    value: bytes


def parse_response(data: bytes) -> SnmpAnswer | None:
    """The GetResponse's request id, error status and first value, or None if not one."""
    try:
        tag, message, _ = _read(data, 0)
        if tag != 0x30:
            return None
        _, _version, offset = _read(message, 0)
        _, _community, offset = _read(message, offset)
        tag, pdu, _ = _read(message, offset)
        if tag != 0xA2:
            return None
        _, request_id, offset = _read(pdu, 0)
        _, error_status, offset = _read(pdu, offset)
        _, _error_index, offset = _read(pdu, offset)
        _, varbinds, _ = _read(pdu, offset)
        _, varbind, _ = _read(varbinds, 0)
        _, _oid, offset = _read(varbind, 0)
        _, value, _ = _read(varbind, offset)
    except ValueError:
        return None
    return SnmpAnswer(
        int.from_bytes(request_id, "big", signed=True),
        int.from_bytes(error_status, "big", signed=True),
        value,
    )
