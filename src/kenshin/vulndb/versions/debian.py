"""Debian package version comparison (``[epoch:]upstream[-revision]``), as dpkg does it.

Used for backports: ``OpenSSH_9.2p1 Debian-2+deb12u3`` carries the Debian revision
``2+deb12u3`` of upstream ``9.2p1``. Follows the algorithm in deb-version(7): compare
non-digit runs lexically (``~`` before everything, letters before other characters),
then digit runs numerically.
"""

from __future__ import annotations

import re


def _order(char: str) -> int:
    if char == "~":
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            bc = _order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def split(version: str) -> tuple[int, str, str]:
    epoch = 0
    if ":" in version:
        head, version = version.split(":", 1)
        epoch = int(head) if head.isdigit() else 0
    upstream, _, revision = version.rpartition("-") if "-" in version else (version, "", "")
    return epoch, upstream, revision


def compare(a: str, b: str) -> int:
    """Negative, zero or positive as ``a`` sorts before, equal to, or after ``b``."""
    ea, ua, ra = split(a)
    eb, ub, rb = split(b)
    if ea != eb:
        return ea - eb
    result = _compare_part(ua, ub)
    if result:
        return result
    return _compare_part(ra, rb)


_BANNER = re.compile(
    r"(?P<upstream>\d+\.\d+(?:\.\d+)?(?:p\d+)?)\s+(?P<dist>Debian|Ubuntu|Raspbian)[- ]"
    r"(?P<rev>[0-9][0-9A-Za-z.+~]*)",
    re.IGNORECASE,
)


def distribution_package(banner: str) -> tuple[str, str] | None:
    """(``debian``, ``9.2p1-2+deb12u3``) from an SSH banner, or None when none is named."""
    match = _BANNER.search(banner)
    if match is None:
        return None
    dist = match.group("dist").lower()
    return (
        "debian" if dist == "raspbian" else dist
    ), f"{match.group('upstream')}-{match.group('rev')}"
