"""Just enough ASN.1 BER (X.690) for SNMP (RFC 1157/3416/3414) and LDAP (RFC 4511).

Definite lengths of at most four octets, single-octet tags: what those protocols send.
Reading never trusts a length: a malformed element raises ``ValueError``, and nothing
reads past the buffer.
"""

from __future__ import annotations

from collections.abc import Iterator

SEQUENCE = 0x30
INTEGER = 0x02
OCTET_STRING = 0x04
OBJECT_IDENTIFIER = 0x06
NULL = 0x05


def tlv(tag: int, value: bytes) -> bytes:
    """One element: tag, definite length (short or long form), value."""
    length = len(value)
    if length < 0x80:
        encoded = bytes([length])
    else:
        raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
        encoded = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + encoded + value


def integer(value: int, tag: int = INTEGER) -> bytes:
    """A two's-complement INTEGER (or ENUMERATED with ``tag`` 0x0A) in the fewest octets."""
    raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return tlv(tag, raw)


def octets(value: bytes | str, tag: int = OCTET_STRING) -> bytes:
    return tlv(tag, value.encode() if isinstance(value, str) else value)


def sequence(*items: bytes, tag: int = SEQUENCE) -> bytes:
    return tlv(tag, b"".join(items))


def read(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """(tag, value, offset after it) of the element at ``offset``; ValueError if malformed."""
    if offset + 2 > len(data):
        raise ValueError("BER element cut short")
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise ValueError("bad BER length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    if offset + length > len(data):
        raise ValueError("BER element overruns the buffer")
    return tag, data[offset : offset + length], offset + length


def elements(value: bytes) -> Iterator[tuple[int, bytes]]:
    """The (tag, value) elements one after another in ``value`` (a constructed element's),
    as far as they are well formed: a reader keeps what came before a cut-off tail."""
    offset = 0
    while offset < len(value):  # each element takes at least two octets
        tag, inner, offset = read(value, offset)
        yield tag, inner


def children(value: bytes) -> list[tuple[int, bytes]]:
    """All of ``value``'s elements; ValueError if any is malformed."""
    return list(elements(value))


def oid_text(value: bytes) -> str:
    """An OBJECT IDENTIFIER's content octets as dotted text ("1.3.6.1.2.1.1.1.0")."""
    if not value:
        return ""
    parts = [value[0] // 40, value[0] % 40]
    number = 0
    for byte in value[1:]:
        number = (number << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(number)
            number = 0
    return ".".join(str(p) for p in parts)


def oid(dotted: str) -> bytes:
    """The content octets of the OBJECT IDENTIFIER ``dotted`` (the inverse of ``oid_text``)."""
    first, second, *rest = (int(part) for part in dotted.split("."))
    encoded = bytearray()
    for number in (first * 40 + second, *rest):
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        encoded += bytes(reversed(chunk))
    return bytes(encoded)
