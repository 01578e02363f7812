"""Check Point Gaia / Quantum gateways: ``R81.20`` (a major release; Jumbo Hotfix
Accumulator takes are installed on top and are not part of the version string).

The ``R`` is part of the name as Check Point, NVD (``r81.20``) and the advisories
write it; it is kept so that ``R81.20`` compares equal to the CPE's ``r81.20``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionScheme

_VERSION = re.compile(r"\bR(\d+(?:\.\d+)*)", re.IGNORECASE)


@dataclass(frozen=True)
class CheckPointScheme(VersionScheme):
    name: str = "checkpoint"

    def normalise(self, raw: str) -> str | None:
        match = _VERSION.search(raw)
        return f"R{match.group(1)}" if match else None
