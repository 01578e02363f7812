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
from typing import Literal

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


# the bare version anywhere in a string: ``v7.0.11,build0489 (GA)`` -> ``7.0.11``
_ANY_VERSION = re.compile(r"(\d+(?:[.\-_]?[0-9A-Za-z]+)*)")


@dataclass(frozen=True)
class VersionScheme:
    """A vendor's version scheme, as data read by one normalise and one compare.

    ``find`` are tried in order; the first match's group 1 is the version, its group 2
    (when the pattern has one and it matched) an extra part written ``extra`` after it.
    A match whose group ``unread`` is set names no version the scheme can compare.
    """

    name: str = "generic"
    branch_depth: int = 2
    find: tuple[re.Pattern[str], ...] = (_ANY_VERSION,)
    lead: re.Pattern[str] | None = None  # text up to this is no version (``... Version ``)
    prefix: str = ""
    extra: str = "-{}"
    pad: int = 0  # dotted numbers the version is padded to (``7.2`` -> ``7.2.0``)
    plain_numbers: bool = False  # numbers written without leading zeros
    case: Literal["", "upper", "lower"] = ""
    letters: Literal["post", "ignore"] = "post"
    build_metadata: bool = False  # semver: nothing after ``+`` orders versions
    update: str = "-{}"  # how a CPE update field is folded into the version
    upper_update: bool = False

    def normalise(self, raw: str) -> str | None:
        """The bare version (``v7.0.11,build0489 (GA)`` -> ``7.0.11``), or None."""
        text = self.lead.sub("", raw.strip(), count=1) if self.lead else raw
        for pattern in self.find:
            match = pattern.search(text)
            if match is not None:
                return self._written(match)
        return None

    def _written(self, match: re.Match[str]) -> str | None:
        if match.groupdict().get("unread"):
            return None
        parts = match.group(1).split(".")
        parts += ["0"] * (self.pad - len(parts))
        if self.plain_numbers:
            parts = [str(int(p)) for p in parts]
        version = self.prefix + ".".join(parts)
        if match.re.groups >= 2 and match.group(2):
            version += self.extra.format(match.group(2))
        if self.case == "upper":
            return version.upper()
        return version.lower() if self.case == "lower" else version

    def key(self, version: str) -> VersionKey:
        if self.build_metadata:
            version = version.split("+", 1)[0]
        return key_from_tokens(tokens(version), letters=self.letters)

    def branch(self, version: str) -> tuple[int, ...]:
        """The release line a version belongs to (``7.0`` for ``7.0.11``)."""
        found = numbers(version)
        return tuple(found[: self.branch_depth])

    def combine(self, version: str, update: str) -> str:
        """Fold a CPE ``update`` field into the version (``9.1`` + ``r11.4``)."""
        if update in ("", "*", "-"):
            return version
        return version + self.update.format(update.upper() if self.upper_update else update)

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
