"""Just enough SNMP (v1/v2c GET of sysDescr) to ask one question politely.

RFC 1157 (SNMPv1) and RFC 3416 (v2c PDUs), in the shared BER codec (``kenshin.net.ber``).
Written here because the check needs one request and its answer, not an SNMP stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from kenshin.net import ber

SYS_DESCR_OID = ber.oid("1.3.6.1.2.1.1.1.0")
GET_REQUEST = 0xA0
GET_RESPONSE = 0xA2


def get_request(community: str, request_id: int, version: int = 1) -> bytes:
    """A GetRequest for sysDescr.0; ``version`` 0 is SNMPv1, 1 is v2c."""
    varbind = ber.sequence(ber.tlv(ber.OBJECT_IDENTIFIER, SYS_DESCR_OID), ber.tlv(ber.NULL, b""))
    pdu = ber.sequence(
        ber.integer(request_id),
        ber.integer(0),
        ber.integer(0),
        ber.sequence(varbind),
        tag=GET_REQUEST,
    )
    return ber.sequence(ber.integer(version), ber.octets(community), pdu)


@dataclass(frozen=True)
class SnmpAnswer:
    request_id: int
    error_status: int
    value: bytes


def parse_response(data: bytes) -> SnmpAnswer | None:
    """The GetResponse's request id, error status and first value, or None if not one."""
    try:
        tag, message, _ = ber.read(data)
        if tag != ber.SEQUENCE:
            return None
        _, _version, offset = ber.read(message)
        _, _community, offset = ber.read(message, offset)
        tag, pdu, _ = ber.read(message, offset)
        if tag != GET_RESPONSE:
            return None
        _, request_id, offset = ber.read(pdu)
        _, error_status, offset = ber.read(pdu, offset)
        _, _error_index, offset = ber.read(pdu, offset)
        _, varbinds, _ = ber.read(pdu, offset)
        _, varbind, _ = ber.read(varbinds)
        _, _oid, offset = ber.read(varbind)
        _, value, _ = ber.read(varbind, offset)
    except ValueError:
        return None
    return SnmpAnswer(
        int.from_bytes(request_id, "big", signed=True),
        int.from_bytes(error_status, "big", signed=True),
        value,
    )
