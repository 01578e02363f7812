"""Palo Alto Networks PAN-OS: ``10.2.9-h1`` (hotfix h1 of 10.2.9).

Hotfixes sort after their maintenance release and before the next one:
``10.2.9 < 10.2.9-h1 < 10.2.9-h3 < 10.2.10``. NVD writes hotfixes in the CPE update
field (``10.2.9:h1``); ``combine`` folds them back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionScheme

_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)?)(?:[-.\s]?(h\d+))?", re.IGNORECASE)


@dataclass(frozen=True)
class PanOSScheme(VersionScheme):
    name: str = "panos"

    def normalise(self, raw: str) -> str | None:
        match = _VERSION.search(raw)
        if match is None:
            return None
        base = match.group(1)
        if base.count(".") == 1:
            base += ".0"
        hotfix = match.group(2)
        return f"{base}-{hotfix.lower()}" if hotfix else base
