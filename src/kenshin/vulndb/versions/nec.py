"""NEC UNIVERGE IX routers: ``10.2.16`` (series 10.2, revision 16).

Format: ``show version`` prints ``IX Series IX2215 (magellan-sec) Software, Version
10.2.16, RELEASE SOFTWARE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionScheme

_VERSION = re.compile(r"(?:Version\s+)?(\d+\.\d+\.\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class NecIXScheme(VersionScheme):
    name: str = "nec_ix"

    def normalise(self, raw: str) -> str | None:
        match = _VERSION.search(raw)
        return match.group(1) if match else None
