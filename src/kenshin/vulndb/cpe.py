"""CPE names as values the knowledge base compares: :class:`CPE`, parsed once and cached.

The grammar (formatted strings with their escapes, CPE 2.2 URIs as JVN writes them)
is ``kenshin.net.cpe``; here a malformed name becomes the room's :class:`CPEError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import lru_cache

from kenshin.net import cpe as cpe_text
from kenshin.net.cpe import ANY, NA
from kenshin.vulndb.model import VulnDBError

__all__ = ["ANY", "CPE", "NA", "CPEError", "cpe_name"]


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
    try:
        return CPE(**cpe_text.parse(text))
    except ValueError:
        raise CPEError("vulndb.cpe_invalid", cpe=text.strip()) from None


@lru_cache(maxsize=1 << 18)
def _bind_cached(cpe: CPE) -> str:
    return cpe_text.bind(cpe.values())


_NAME_CLEAN = re.compile(r"[^a-z0-9_.\-]+")


def cpe_name(text: str) -> str:
    """A free-text vendor or product name in CPE style (``Palo Alto`` -> ``palo_alto``)."""
    return _NAME_CLEAN.sub("_", text.strip().lower()).strip("_")
