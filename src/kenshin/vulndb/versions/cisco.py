"""Cisco IOS (``15.9(3)M7``), IOS XE (``17.9.4a``) and ASA (``9.16(4)19``).

Parentheses are separators; a train letter (``M``) or a rebuild letter (``a``) sorts
after the release it extends. The branch is the first two numbers (15.9, 17.9, 9.16).
Format: ``show version`` prints ``Cisco IOS Software, ... Version 15.9(3)M7, RELEASE
SOFTWARE (fc1)`` and ``Cisco Adaptive Security Appliance Software Version 9.16(4)19``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionScheme

_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?(?:\(\d+[a-z]?\))?(?:[A-Za-z]+\d*[a-z]?)?(?:\d+)?")


@dataclass(frozen=True)
class CiscoScheme(VersionScheme):
    name: str = "cisco"

    def normalise(self, raw: str) -> str | None:
        text = re.sub(r"(?i)^.*?version\s+", "", raw.strip(), count=1)
        match = _VERSION.search(text)
        return match.group(0) if match else None
