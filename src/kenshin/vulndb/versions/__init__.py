"""Vendor version schemes: normalise and compare real firmware strings.

``scheme(name)`` returns a scheme by name; ``scheme_for(vendor, product)`` picks the
scheme for a CPE vendor/product (from the product table in ``vulndb/data``).
"""

from __future__ import annotations

from kenshin.vulndb.versions._base import VersionKey, VersionScheme
from kenshin.vulndb.versions.checkpoint import CheckPointScheme
from kenshin.vulndb.versions.cisco import CiscoScheme
from kenshin.vulndb.versions.citrix import CitrixScheme
from kenshin.vulndb.versions.fireware import FirewareScheme
from kenshin.vulndb.versions.fortios import FortiOSScheme
from kenshin.vulndb.versions.generic import GenericScheme, OpenSSHScheme
from kenshin.vulndb.versions.ivanti import IvantiScheme
from kenshin.vulndb.versions.junos import JunosScheme
from kenshin.vulndb.versions.nec import NecIXScheme
from kenshin.vulndb.versions.panos import PanOSScheme
from kenshin.vulndb.versions.sfos import SFOSScheme
from kenshin.vulndb.versions.sonicos import SonicOSScheme
from kenshin.vulndb.versions.yamaha import YamahaScheme

SCHEMES: dict[str, VersionScheme] = {
    s.name: s
    for s in (
        GenericScheme(),
        OpenSSHScheme(),
        FortiOSScheme(),
        PanOSScheme(),
        IvantiScheme(),
        CitrixScheme(),
        SonicOSScheme(),
        CiscoScheme(),
        JunosScheme(),
        YamahaScheme(),
        NecIXScheme(),
        SFOSScheme(),
        FirewareScheme(),
        CheckPointScheme(),
    )
}


def scheme(name: str) -> VersionScheme:
    """The scheme called ``name`` (generic when unknown)."""
    return SCHEMES.get(name, SCHEMES["generic"])


__all__ = ["SCHEMES", "VersionKey", "VersionScheme", "scheme"]
