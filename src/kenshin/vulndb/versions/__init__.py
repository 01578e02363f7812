"""Vendor version schemes: normalise and compare real firmware strings.

``scheme(name)`` returns a scheme by name; ``scheme_for(vendor, product)`` picks the
scheme for a CPE vendor/product (from the product table in ``vulndb/data``).
"""

from __future__ import annotations

from kenshin.vulndb.versions import vendors
from kenshin.vulndb.versions._base import VersionKey, VersionScheme

SCHEMES: dict[str, VersionScheme] = {s.name: s for s in vendors.SCHEMES}


def scheme(name: str) -> VersionScheme:
    """The scheme called ``name`` (generic when unknown)."""
    return SCHEMES.get(name, SCHEMES["generic"])


__all__ = ["SCHEMES", "VersionKey", "VersionScheme", "scheme"]
