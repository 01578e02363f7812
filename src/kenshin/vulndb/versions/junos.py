"""Juniper Junos OS: ``22.4R3-S2`` (release 22.4, R3, service release S2).

``22.4R3 < 22.4R3-S1 < 22.4R3-S2 < 22.4R4``. NVD writes ``22.4`` with update ``r3-s2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionScheme

_VERSION = re.compile(r"\d+\.\d+(?:[RXrx]\d+(?:[-.][A-Za-z]\d+)*(?:\.\d+)?)?")


@dataclass(frozen=True)
class JunosScheme(VersionScheme):
    name: str = "junos"

    def normalise(self, raw: str) -> str | None:
        match = _VERSION.search(raw)
        return match.group(0).upper() if match else None

    def combine(self, version: str, update: str) -> str:
        if update in ("", "*", "-"):
            return version
        return f"{version}{update.upper()}"
