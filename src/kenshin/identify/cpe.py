"""CPE 2.3 formatted strings: validation and building from rule templates.

The grammar is the "formatted string binding" of NIST IR 7695 (CPE Naming 2.3, §6.2):
``cpe:2.3:part:vendor:product:version:update:edition:language:sw_edition:target_sw:
target_hw:other``, each attribute either ``*``, ``-`` or a value whose special
characters are escaped with a backslash.
"""

from __future__ import annotations

import re

# One attribute value of a formatted string (NIST IR 7695 §6.2.2, written as a regex).
_AVSTRING = (
    r"""(?:\*|-|\?*\*?(?:[A-Za-z0-9._\-]|\\[\\*?!"#$%&'()+,/:;<=>@\[\]^`{|}~\-. ])+\?*\*?)"""
)
_LANGUAGE = r"(?:[A-Za-z]{2,3}(?:-(?:[A-Za-z]{2}|[0-9]{3}))?|[*\-])"
CPE23_PATTERN = re.compile(
    rf"^cpe:2\.3:[aho*\-](?::{_AVSTRING}){{5}}:{_LANGUAGE}(?::{_AVSTRING}){{4}}$"
)

# Characters that must be escaped inside an attribute value.
_SPECIAL = set("\\*?!\"#$%&'()+,/:;<=>@[]^`{|}~")


def is_valid_cpe23(value: str) -> bool:
    """Whether ``value`` is a well-formed CPE 2.3 formatted string."""
    return CPE23_PATTERN.match(value) is not None


def escape_value(value: str) -> str:
    """An attribute value as CPE 2.3 writes it: lower case, spaces as ``_``, specials escaped.

    An empty value is ``*`` (ANY), so a template with a missing capture stays valid.
    """
    text = value.strip().lower().replace(" ", "_")
    if not text:
        return "*"
    return "".join(f"\\{ch}" if ch in _SPECIAL else ch for ch in text)


def split_cpe23(value: str) -> list[str]:
    """The thirteen colon-separated fields of a formatted string, escapes respected."""
    fields: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    return fields
