"""NEC UNIVERGE IX routers: ``10.2.16`` (series 10.2, revision 16), ``8.9.17B``.

A letter after the revision is a later build of the same revision and is kept: it sorts
after the bare revision and before the next one (``8.9.17 < 8.9.17B < 8.9.18``).
Format: ``show version`` prints ``IX Series IX2215 (magellan-sec) Software, Version
10.2.16, RELEASE SOFTWARE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionScheme

_VERSION = re.compile(r"(?:Version\s+)?(\d+\.\d+\.\d+[A-Za-z]?)(?![A-Za-z0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class NecIXScheme(VersionScheme):
    name: str = "nec_ix"

    def normalise(self, raw: str) -> str | None:
        match = _VERSION.search(raw)
        return match.group(1) if match else None
