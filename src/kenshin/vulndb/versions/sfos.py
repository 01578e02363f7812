"""Sophos Firewall (SFOS, formerly XG): ``19.5.3 MR-3-Build652``.

The maintenance release (MR) number repeats the third part (19.5 MR3 *is* 19.5.3) and
the build number restates the release, so the version compared is the three numbers,
as NVD and Sophos's advisories write it (``versionEndIncluding 18.5.3`` = "v18.5 MR3
and older"). GA releases are ``.0`` (``20.0.0 GA-Build222``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionScheme

_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class SFOSScheme(VersionScheme):
    name: str = "sfos"

    def normalise(self, raw: str) -> str | None:
        match = _VERSION.search(raw)
        if match is None:
            return None
        parts = match.group(1).split(".")
        return ".".join(parts + ["0"] * (3 - len(parts)))
