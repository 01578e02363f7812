"""Ivanti Connect Secure / Policy Secure (formerly Pulse Secure): ``22.7R2.3``.

``22.7`` is the release line, ``R2.3`` the release on it. NVD lists every affected
release as its own CPE with the release in the update field (``9.1:r11.4``); the
appliance shows ``22.7R2.3 (build 3431)``. ``R`` sorts after the line it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionScheme

_VERSION = re.compile(r"(\d+\.\d+)\s*[Rr]\s*(\d+(?:\.\d+)*)")
_LINE = re.compile(r"(\d+\.\d+)")


@dataclass(frozen=True)
class IvantiScheme(VersionScheme):
    name: str = "ivanti"

    def normalise(self, raw: str) -> str | None:
        match = _VERSION.search(raw)
        if match is not None:
            return f"{match.group(1)}R{match.group(2)}"
        line = _LINE.search(raw)
        return line.group(1) if line else None

    def combine(self, version: str, update: str) -> str:
        if update in ("", "*", "-"):
            return version
        return f"{version}{update.upper()}"

    def split(self, version: str) -> tuple[str, str]:
        """``22.7R2.3`` -> (``22.7``, ``r2.3``): the CPE version and update fields."""
        match = _VERSION.search(version)
        if match is None:
            return version, "-"
        return match.group(1), f"r{match.group(2)}"
