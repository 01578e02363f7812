"""Just enough BSON (bsonspec.org, version 1.1) for the MongoDB emulator."""

from __future__ import annotations

import datetime as dt
import struct
from typing import Any


def encode(document: dict[str, Any]) -> bytes:
    body = b"".join(_element(key, value) for key, value in document.items())
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def _element(key: str, value: Any) -> bytes:
    name = key.encode() + b"\x00"
    if isinstance(value, bool):
        return b"\x08" + name + (b"\x01" if value else b"\x00")
    if isinstance(value, float):
        return b"\x01" + name + struct.pack("<d", value)
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return b"\x10" + name + struct.pack("<i", value)
        return b"\x12" + name + struct.pack("<q", value)
    if isinstance(value, str):
        raw = value.encode() + b"\x00"
        return b"\x02" + name + struct.pack("<i", len(raw)) + raw
    if isinstance(value, dict):
        return b"\x03" + name + encode(value)
    if isinstance(value, list):
        return b"\x04" + name + encode({str(i): item for i, item in enumerate(value)})
    if isinstance(value, dt.datetime):
        millis = int(value.timestamp() * 1000)
        return b"\x09" + name + struct.pack("<q", millis)
    if value is None:
        return b"\x0a" + name
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(raw: bytes) -> dict[str, Any]:
    """Decode a document; types we do not need are skipped by their size."""
    (size,) = struct.unpack_from("<i", raw, 0)
    if size > len(raw) or size < 5:
        raise ValueError("bad BSON length")
    result: dict[str, Any] = {}
    offset = 4
    while offset < size - 1:
        kind = raw[offset]
        end = raw.index(b"\x00", offset + 1)
        key = raw[offset + 1 : end].decode("utf-8", "replace")
        offset = end + 1
        if kind == 0x01:
            result[key] = struct.unpack_from("<d", raw, offset)[0]
            offset += 8
        elif kind == 0x02:
            (length,) = struct.unpack_from("<i", raw, offset)
            result[key] = raw[offset + 4 : offset + 3 + length].decode("utf-8", "replace")
            offset += 4 + length
        elif kind in (0x03, 0x04):
            (length,) = struct.unpack_from("<i", raw, offset)
            inner = decode(raw[offset : offset + length])
            result[key] = inner if kind == 0x03 else list(inner.values())
            offset += length
        elif kind == 0x08:
            result[key] = raw[offset] == 1
            offset += 1
        elif kind in (0x09, 0x12, 0x11):
            result[key] = struct.unpack_from("<q", raw, offset)[0]
            offset += 8
        elif kind == 0x10:
            result[key] = struct.unpack_from("<i", raw, offset)[0]
            offset += 4
        elif kind in (0x0A, 0x06):
            result[key] = None
        elif kind == 0x07:
            result[key] = raw[offset : offset + 12].hex()
            offset += 12
        elif kind == 0x05:
            (length,) = struct.unpack_from("<i", raw, offset)
            result[key] = raw[offset + 5 : offset + 5 + length]
            offset += 5 + length
        else:
            raise ValueError(f"unsupported BSON type {kind:#x}")
    return result
