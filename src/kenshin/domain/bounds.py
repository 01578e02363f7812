"""Bounds for text that came from the network, applied once where it enters.

Any host on the internet chooses what its banner, certificate, page title or headers
say. A 1 MB "SSH-2.0-AAAA…" banner must not become a product name that fills a
hospital's report. Identification passes every identity through ``bound_identity``
(and checks their findings through ``bound_finding``) before anything keeps or shows
it: control characters become visible ``\\xNN`` escapes (once: a backslash is left as
it is, so escaping twice changes nothing) and each field is cut at its bound with a
note that says how much was seen.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from kenshin.domain.findings import Finding
from kenshin.domain.scan import ServiceIdentity

NAME_MAX = 128
"""Product, version and service names, CPE names, ``extra`` keys."""
TEXT_MAX = 2048
"""Evidence, banners, titles, certificate fields, headers (``extra`` values)."""
EXTRA_MAX = 64
"""``extra`` pairs kept per identity."""
CPE_MAX = 16
"""CPE names kept per identity."""


def _escape(ch: str) -> str:
    if unicodedata.category(ch) == "Zs":
        return " "
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def bounded(text: str, limit: int = TEXT_MAX) -> str:
    """``text`` with control characters escaped, cut to ``limit`` characters with a note.

    The note says how many bytes (UTF-8) the field had when it arrived here:
    ``… (cut; 1048584 bytes seen)``.
    """
    if len(text) <= limit and text.isprintable():
        return text
    head = text[: 4 * limit]  # escaping needs at most four characters per character
    shown = "".join(ch if ch.isprintable() else _escape(ch) for ch in head)
    if len(shown) <= limit and len(head) == len(text):
        return shown
    seen = len(text.encode("utf-8", "surrogatepass"))
    note = f"… (cut; {seen} bytes seen)"
    return shown[: max(0, limit - len(note))] + note


def bound_identity(identity: ServiceIdentity) -> ServiceIdentity:
    """The identity with every field within its bound (see the module docstring)."""
    extra = tuple(
        (bounded(key, NAME_MAX), bounded(value, TEXT_MAX))
        for key, value in identity.extra[:EXTRA_MAX]
    )
    return replace(
        identity,
        service=bounded(identity.service, NAME_MAX),
        product=bounded(identity.product, NAME_MAX),
        version=bounded(identity.version, NAME_MAX),
        cpe=tuple(bounded(c, NAME_MAX * 2) for c in identity.cpe[:CPE_MAX]),
        evidence=bounded(identity.evidence, TEXT_MAX),
        extra=extra,
    )


def bound_finding(finding: Finding) -> Finding:
    """A check's finding with its evidence (which quotes the network) within bounds."""
    evidence = bounded(finding.evidence, TEXT_MAX)
    return finding if evidence == finding.evidence else replace(finding, evidence=evidence)
