"""SonicWall SonicOS and SMA: ``7.0.1-5145``, ``6.5.4.15-116n``, ``5.9.2.14-13o``.

The trailing letter (``n``, ``o``, ``sv``) names the build line, not a later release,
and NVD writes the build both as ``-116n`` and ``.116n``: letters are ignored and the
numbers compared in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionKey, VersionScheme, key_from_tokens

_VERSION = re.compile(r"\d+(?:\.\d+)+(?:[-.]\d+[a-z]*|-[a-z]+-\d+[a-z]*)?", re.IGNORECASE)


@dataclass(frozen=True)
class SonicOSScheme(VersionScheme):
    name: str = "sonicos"

    def normalise(self, raw: str) -> str | None:
        match = _VERSION.search(raw)
        return match.group(0) if match else None

    def key(self, version: str) -> VersionKey:
        return key_from_tokens(re.findall(r"\d+", version))
