"""Citrix NetScaler ADC / Gateway: ``13.1-49.15`` (release 13.1, build 49.15).

A numeric compare of the whole string fails (``13.1-49.15`` is not a decimal); the
release and the build are compared part by part. NVD ranges start at the bare release
(``13.1``) which sorts before every build on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionKey, VersionScheme, key_from_tokens

_VERSION = re.compile(r"(\d+\.\d+)(?:\s*[:\-_ ]\s*(?:build\s*)?(\d+\.\d+))?", re.IGNORECASE)


@dataclass(frozen=True)
class CitrixScheme(VersionScheme):
    name: str = "citrix"

    def normalise(self, raw: str) -> str | None:
        match = _VERSION.search(raw)
        if match is None:
            return None
        return f"{match.group(1)}-{match.group(2)}" if match.group(2) else match.group(1)

    def key(self, version: str) -> VersionKey:
        return key_from_tokens(re.findall(r"\d+", version))
