"""Fortinet FortiOS / FortiProxy / FortiManager: ``v7.0.11,build0489 (GA)``.

The build number only restates the release (build 0489 *is* 7.0.11), so it is dropped;
the branch is major.minor (7.0.x, 7.2.x), which is how Fortinet ships fixes.
Format: FortiOS ``get system status`` prints
``Version: FortiGate-60F v7.0.11,build0489,230328 (GA.F)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionScheme

_VERSION = re.compile(r"v?(\d+\.\d+(?:\.\d+)?)(?:\s*,\s*build\s*\d+)?", re.IGNORECASE)


@dataclass(frozen=True)
class FortiOSScheme(VersionScheme):
    name: str = "fortios"

    def normalise(self, raw: str) -> str | None:
        match = _VERSION.search(raw)
        if match is None:
            return None
        parts = match.group(1).split(".")
        while len(parts) < 3:
            parts.append("0")
        return ".".join(str(int(p)) for p in parts)
