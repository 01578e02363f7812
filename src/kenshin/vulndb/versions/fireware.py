"""WatchGuard Fireware OS: ``12.7.2 Update 2`` (also written ``12.7.2_U2``).

Updates sort after their release (``12.7.2 < 12.7.2_U1 < 12.7.3``); NVD writes the
update in the CPE update field (``12.7.2:u1``). A version shown only with a build label
(``12.10.2.B692418``) does not say which update is installed, so it is not read as a
version at all: the check then says it cannot tell, instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionScheme

_VERSION = re.compile(
    r"(\d+\.\d+(?:\.\d+)?)(?:\s*(?:_|\s)\s*(?:U|Update)\s*(\d+))?(\.B\d+)?", re.IGNORECASE
)


@dataclass(frozen=True)
class FirewareScheme(VersionScheme):
    name: str = "fireware"

    def normalise(self, raw: str) -> str | None:
        match = _VERSION.search(raw)
        if match is None or (match.group(3) and not match.group(2)):
            return None
        return f"{match.group(1)}_U{match.group(2)}" if match.group(2) else match.group(1)

    def combine(self, version: str, update: str) -> str:
        if update in ("", "*", "-"):
            return version
        return f"{version}_{update.upper()}"
