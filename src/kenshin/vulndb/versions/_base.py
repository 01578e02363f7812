"""The common shape of a version scheme: normalise a raw string, turn it into a sort key.

A key is a tuple of ``(rank, number, text)`` triples so that keys of one scheme always
compare without type errors:

* a pre-release word (``alpha``, ``beta``, ``rc``, ...) ranks 0 - it sorts before the
  release it precedes (``1.0rc1 < 1.0``);
* the end of the version ranks 1 (``_END``);
* a post-release letter ranks 1 with number 1 (``p1``, ``h1``, ``R2`` ... sort after the
  release they follow: ``8.5 < 8.5p1 < 8.6``, ``10.2.9 < 10.2.9-h1 < 10.2.10``);
* a number ranks 2.

Trailing zero numbers are dropped so that ``7.0`` and ``7.0.0`` are the same version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

Part = tuple[int, int, str]
VersionKey = tuple[Part, ...]

_END: Part = (1, 0, "")
PRE_RELEASE_WORDS = frozenset({"alpha", "beta", "rc", "pre", "preview", "dev", "test", "snapshot"})
_TOKEN = re.compile(r"\d+|[A-Za-z]+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def key_from_tokens(parts: list[str], *, letters: str = "post") -> VersionKey:
    """Build a key; ``letters`` is ``post`` (letters follow a release), or ``ignore``."""
    key: list[Part] = []
    for token in parts:
        if token.isdigit():
            key.append((2, int(token), ""))
            continue
        word = token.lower()
        if letters == "ignore":
            continue
        while key and key[-1] == (2, 0, ""):
            key.pop()  # 9.0R3 is release R3 of the 9.0 line: same as 9R3
        if word in PRE_RELEASE_WORDS:
            key.append((0, 0, word))
        else:
            key.append((1, 1, word))
    while key and key[-1] == (2, 0, ""):
        key.pop()
    key.append(_END)
    return tuple(key)


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


@dataclass(frozen=True)
class VersionScheme:
    """A vendor's version scheme; subclasses override ``normalise`` and ``key``."""

    name: str = "generic"
    branch_depth: int = 2

    def normalise(self, raw: str) -> str | None:
        """The bare version (``v7.0.11,build0489 (GA)`` -> ``7.0.11``), or None."""
        text = raw.strip()
        match = re.search(r"\d+(?:[.\-_]?[0-9A-Za-z]+)*", text)
        if match is None:
            return None
        value = match.group(0).strip(".-_")
        return value or None

    def key(self, version: str) -> VersionKey:
        return key_from_tokens(tokens(version))

    def branch(self, version: str) -> tuple[int, ...]:
        """The release line a version belongs to (``7.0`` for ``7.0.11``)."""
        found = numbers(version)
        return tuple(found[: self.branch_depth])

    def combine(self, version: str, update: str) -> str:
        """Fold a CPE ``update`` field into the version (``9.1`` + ``r11.4``)."""
        if update in ("", "*", "-"):
            return version
        return f"{version}-{update}"

    def compare(self, left: str, right: str) -> int:
        a, b = self.key(left), self.key(right)
        return (a > b) - (a < b)

    def highest_per_line(self, versions: Iterable[str]) -> dict[tuple[int, ...], str]:
        """The highest of ``versions`` on each release line, lines in version order.

        An update to each line's highest fixed version fixes every vulnerability whose
        fix is on that line; compared in this scheme, never as strings.
        """
        highest: dict[tuple[int, ...], str] = {}
        for version in versions:
            line = self.branch(version)
            known = highest.get(line)
            if known is None or self.compare(version, known) > 0:
                highest[line] = version
        return dict(sorted(highest.items(), key=lambda pair: self.key(pair[1])))
