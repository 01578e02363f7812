"""CPE names (NIST IR 7695, CPE Naming 2.3): the one reading and writing of them.

A formatted string is ``cpe:2.3:`` and eleven colon-separated attributes; ``*`` is ANY,
``-`` is NA, and a backslash escapes a special character inside a value (``bar\\:baz``
is one value, ``bar:baz``). Values here are *unbound*: escapes removed, ``*``/``-``
kept as the logical values ANY/NA. A CPE 2.2 URI (``cpe:/a:vendor:product:version``,
what nmap and JVN write) is read and written too. Malformed names raise ``ValueError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, unquote

ANY = "*"
NA = "-"
ATTRIBUTES = (
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
FORMATTED_PREFIX = "cpe:2.3:"
URI_PREFIX = "cpe:/"
_SPECIAL = frozenset("\\!\"#$%&'()+,/:;<=>@[]^`{|}~?*")
"""Characters escaped inside a formatted-string value (IR 7695 §6.2.2.2)."""

# One attribute value of a formatted string (IR 7695 §6.2.2, written as a regex).
_AVSTRING = (
    r"""(?:\*|-|\?*\*?(?:[A-Za-z0-9._\-]|\\[\\*?!"#$%&'()+,/:;<=>@\[\]^`{|}~\-. ])+\?*\*?)"""
)
_LANGUAGE = r"(?:[A-Za-z]{2,3}(?:-(?:[A-Za-z]{2}|[0-9]{3}))?|[*\-])"
_FORMATTED = re.compile(
    rf"^cpe:2\.3:[aho*\-](?::{_AVSTRING}){{5}}:{_LANGUAGE}(?::{_AVSTRING}){{4}}$"
)


def is_valid_formatted(text: str) -> bool:
    """Whether ``text`` is a well-formed CPE 2.3 formatted string (the full grammar)."""
    return _FORMATTED.match(text) is not None


def _split(body: str) -> list[str]:
    """Colon-separated raw values, a backslash-escaped colon kept inside its value."""
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
        raise ValueError(f"a CPE name ends in a lone backslash: {body!r}")
    parts.append("".join(current))
    return parts


def unbind_value(raw: str) -> str:
    """A formatted-string value without its escapes (``bar\\:baz`` -> ``bar:baz``)."""
    if raw in (ANY, NA) or "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw):
            out.append(raw[i + 1])
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def bind_value(value: str) -> str:
    """An unbound value as a formatted string writes it (specials escaped, ANY/NA kept)."""
    if value in (ANY, NA):
        return value
    return "".join("\\" + c if c in _SPECIAL else c for c in value)


def escape_value(value: str) -> str:
    """Free text as a CPE value: lower case, spaces as ``_``, specials escaped; empty is ANY."""
    text = value.strip().lower().replace(" ", "_")
    return bind_value(text) if text else ANY


def parse_formatted(text: str) -> tuple[str, ...]:
    """The eleven unbound attribute values of a ``cpe:2.3:`` formatted string."""
    text = text.strip()
    if not text.startswith(FORMATTED_PREFIX):
        raise ValueError(f"not a CPE 2.3 formatted string: {text!r}")
    parts = _split(text[len(FORMATTED_PREFIX) :])
    if len(parts) != len(ATTRIBUTES) or "" in parts:
        raise ValueError(f"not a CPE 2.3 formatted string: {text!r}")
    values = tuple(unbind_value(p) for p in parts)
    if values[0] not in ("a", "o", "h", ANY):
        raise ValueError(f"not a CPE 2.3 part: {text!r}")
    return values


def parse_uri(text: str) -> dict[str, str]:
    """The attributes a CPE 2.2 URI names (unnamed ones are ANY), packed edition unpacked."""
    text = text.strip()
    if not text.startswith(URI_PREFIX):
        raise ValueError(f"not a CPE 2.2 URI: {text!r}")
    parts = text[len(URI_PREFIX) :].split(":")
    if parts[0] not in ("a", "o", "h", ""):
        raise ValueError(f"not a CPE 2.2 URI: {text!r}")
    values: dict[str, str] = {}
    for name, raw in zip(ATTRIBUTES[:7], parts, strict=False):
        value = unquote(raw)
        values[name] = value if value else ANY
    edition = values.get("edition", ANY)
    if edition.startswith("~"):  # packed edition of 2.2 (~edition~sw_edition~...)
        packed = edition.split("~")
        for name, value in zip(
            ("edition", "sw_edition", "target_sw", "target_hw", "other"), packed[1:], strict=False
        ):
            values[name] = value or ANY
    return values


def parse(text: str) -> dict[str, str]:
    """All eleven attributes of a 2.3 formatted string or a 2.2 URI (missing ones ANY)."""
    text = text.strip()
    if text.startswith(FORMATTED_PREFIX):
        return dict(zip(ATTRIBUTES, parse_formatted(text), strict=True))
    values = parse_uri(text)
    return {name: values.get(name, ANY) for name in ATTRIBUTES}


def bind(values: Mapping[str, str]) -> str:
    """The formatted string of attribute values (missing ones ANY)."""
    return FORMATTED_PREFIX + ":".join(bind_value(values.get(a, ANY)) for a in ATTRIBUTES)


def to_uri(values: Mapping[str, str], attributes: int = 5) -> str:
    """A 2.2 URI of the first ``attributes`` values, trailing ANY/NA dropped (as nmap writes)."""
    kept = [values.get(a, ANY) for a in ATTRIBUTES[:attributes]]
    while kept and kept[-1] in (ANY, NA):
        kept.pop()
    return URI_PREFIX + ":".join(quote(v, safe="") for v in kept)
