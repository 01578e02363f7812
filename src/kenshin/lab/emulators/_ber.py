"""Just enough ASN.1 BER (X.690) for LDAP messages (RFC 4511)."""

from __future__ import annotations


def tlv(tag: int, value: bytes) -> bytes:
    length = len(value)
    if length < 0x80:
        encoded = bytes([length])
    else:
        raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
        encoded = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + encoded + value


def integer(value: int, tag: int = 0x02) -> bytes:
    raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return tlv(tag, raw)


def octets(value: bytes | str, tag: int = 0x04) -> bytes:
    return tlv(tag, value.encode() if isinstance(value, str) else value)


def sequence(*items: bytes, tag: int = 0x30) -> bytes:
    return tlv(tag, b"".join(items))


def read(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """(tag, value, offset after) of the element at ``offset``."""
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count > 4:
            raise ValueError("BER length too long")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    if offset + length > len(data):
        raise ValueError("BER element overruns the buffer")
    return tag, data[offset : offset + length], offset + length


def children(value: bytes) -> list[tuple[int, bytes]]:
    found: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(value) and len(found) < 256:
        tag, inner, offset = read(value, offset)
        found.append((tag, inner))
    return found
