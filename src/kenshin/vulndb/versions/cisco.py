"""Cisco IOS (``15.9(3)M7``), IOS XE (``17.9.4a``), ASA (``9.16(4)39``) and FTD (``6.6.0.1``).

Parentheses are separators, so ASA's ``9.16(4)39`` and the dotted ``9.16.4.39`` that NVD
and the advisories also write are one version. Every numeric part is kept: ASA interim
releases and FTD patches are the fourth part (``9.10.1.42``, ``6.6.0.1``), and the
advisories' fixed releases are four-part, so a version cut to three parts would sit
before its own fix. A train letter (``M``) or a rebuild letter (``a``) sorts after the
release it extends. The branch is the first two numbers (15.9, 17.9, 9.16, 6.6).
Format: ``show version`` prints ``Cisco IOS Software, ... Version 15.9(3)M7, RELEASE
SOFTWARE (fc1)`` and ``Cisco Adaptive Security Appliance Software Version 9.16(4)39``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionScheme

_VERSION = re.compile(r"\d+\.\d+(?:\.\d+){0,2}(?:\(\d+[a-z]?\))?(?:[A-Za-z]+\d*[a-z]?)?(?:\d+)?")


@dataclass(frozen=True)
class CiscoScheme(VersionScheme):
    name: str = "cisco"

    def normalise(self, raw: str) -> str | None:
        text = re.sub(r"(?i)^.*?version\s+", "", raw.strip(), count=1)
        match = _VERSION.search(text)
        return match.group(0) if match else None
