"""CPE 2.3 names: parse and bind formatted strings, read CPE 2.2 URIs (as JVN uses).

Follows NIST IR 7695 (CPE 2.3 Naming): a formatted string is ``cpe:2.3:`` and eleven
colon-separated attributes; ``*`` is ANY, ``-`` is NA, and ``\\`` escapes a special
character (``\\:``, ``\\.``, ...) inside a value. We keep values *unbound* (the
escapes removed, ``*``/``-`` kept as the logical values ANY/NA) and bind them back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import lru_cache
from urllib.parse import unquote

from kenshin.vulndb.model import VulnDBError

ANY = "*"
NA = "-"
_ATTRS = (
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
)
# characters that must be escaped in a formatted-string value (IR 7695 6.2.2.2)
_SPECIAL = set("\\!\"#$%&'()+,/:;<=>@[]^`{|}~?*")


class CPEError(VulnDBError):
    """A CPE name that is not well-formed (a kind of the room's one error, VulnDBError)."""


@dataclass(frozen=True, slots=True)
class CPE:
    """One CPE 2.3 name as unbound attribute values (``*`` = ANY, ``-`` = NA)."""

    part: str = ANY
    vendor: str = ANY
    product: str = ANY
    version: str = ANY
    update: str = ANY
    edition: str = ANY
    language: str = ANY
    sw_edition: str = ANY
    target_sw: str = ANY
    target_hw: str = ANY
    other: str = ANY

    @classmethod
    def parse(cls, text: str) -> CPE:
        """A CPE from a 2.3 formatted string or a 2.2 URI (parsed names are remembered)."""
        return _parse_cached(text)

    def bind(self) -> str:
        """The formatted string (``cpe:2.3:...``) with special characters escaped."""
        return _bind_cached(self)

    def __str__(self) -> str:
        return self.bind()

    def values(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@lru_cache(maxsize=1 << 18)
def _parse_cached(text: str) -> CPE:
    text = text.strip()
    if text.startswith("cpe:2.3:"):
        return _parse_formatted(text)
    if text.startswith("cpe:/"):
        return _parse_uri(text)
    raise CPEError("vulndb.cpe_invalid", cpe=text)


def _split_formatted(body: str) -> list[str]:
    if "\\" not in body:  # the common case: nothing escaped
        return body.split(":")
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in body:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        raise CPEError("vulndb.cpe_invalid", cpe=body)
    parts.append("".join(current))
    return parts


def _unbind_value(raw: str, cpe: str) -> str:
    if raw in (ANY, NA):
        return raw
    if raw == "":
        raise CPEError("vulndb.cpe_invalid", cpe=cpe)
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw):
            out.append(raw[i + 1])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _parse_formatted(text: str) -> CPE:
    parts = _split_formatted(text[len("cpe:2.3:") :])
    if len(parts) != len(_ATTRS):
        raise CPEError("vulndb.cpe_invalid", cpe=text)
    values = [_unbind_value(p, text) for p in parts]
    if values[0] not in ("a", "o", "h", ANY):
        raise CPEError("vulndb.cpe_invalid", cpe=text)
    return CPE(**dict(zip(_ATTRS, values, strict=True)))


def _parse_uri(text: str) -> CPE:
    body = text[len("cpe:/") :]
    parts = body.split(":")
    if not parts or parts[0] not in ("a", "o", "h", ""):
        raise CPEError("vulndb.cpe_invalid", cpe=text)
    values: dict[str, str] = {}
    for name, raw in zip(_ATTRS[:7], parts, strict=False):
        value = unquote(raw)
        values[name] = value if value else ANY
    edition = values.get("edition", ANY)
    if edition.startswith("~"):  # packed edition of 2.2 (~edition~sw_edition~...)
        packed = edition.split("~")
        for name, value in zip(
            ("edition", "sw_edition", "target_sw", "target_hw", "other"), packed[1:], strict=False
        ):
            values[name] = value or ANY
    return CPE(**values)


@lru_cache(maxsize=1 << 18)
def _bind_cached(cpe: CPE) -> str:
    return "cpe:2.3:" + ":".join(_bind_value(getattr(cpe, a)) for a in _ATTRS)


def _bind_value(value: str) -> str:
    if value in (ANY, NA):
        return value
    return "".join("\\" + c if c in _SPECIAL else c for c in value)


_NAME_CLEAN = re.compile(r"[^a-z0-9_.\-]+")


def cpe_name(text: str) -> str:
    """A free-text vendor or product name in CPE style (``Palo Alto`` -> ``palo_alto``)."""
    return _NAME_CLEAN.sub("_", text.strip().lower()).strip("_")
