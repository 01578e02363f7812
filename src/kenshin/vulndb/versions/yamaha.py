"""YAMAHA RTX/NVR/FWX/WLX routers: ``Rev.15.02.30``.

The revision is three numbers; the first two name the firmware series of a model
(RTX830: 15.02, RTX1210: 14.01), so the branch is the first two.
Format: ``show environment`` prints ``RTX1210 Rev.14.01.38 (Fri Jul 10 09:44:18 2020)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionScheme

_VERSION = re.compile(r"(?:Rev\.?\s*)?(\d+\.\d+\.\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class YamahaScheme(VersionScheme):
    name: str = "yamaha"

    def normalise(self, raw: str) -> str | None:
        match = _VERSION.search(raw)
        return match.group(1) if match else None
