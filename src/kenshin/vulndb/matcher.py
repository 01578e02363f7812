"""The product index: from (vendor, product, version) to the CVEs worth evaluating.

Per CPE vendor:product the index keeps exact releases in a dict, ranges in buckets by
release line (7.0, 10.2...) plus a list of ranges that span lines, and entries that
apply to every version. A lookup gathers candidates from the version's bucket only;
the full configuration of each candidate is then evaluated (``evaluate.py``).
``scan_records`` is the straightforward per-record scan the benchmark compares against.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from kenshin.vulndb.cpe import ANY, NA
from kenshin.vulndb.evaluate import Evaluation, Target, evaluate_all, vkey
from kenshin.vulndb.records import Configuration, CpeMatch
from kenshin.vulndb.versions import VersionKey, VersionScheme

_END = (1, 0, "")

Range = tuple[VersionKey | None, bool, VersionKey | None, bool, str]


def _bounds(m: CpeMatch, scheme: VersionScheme) -> Range:
    if m.start_including:
        low: VersionKey | None = vkey(scheme, m.start_including)
        low_incl = True
    elif m.start_excluding:
        low, low_incl = vkey(scheme, m.start_excluding), False
    else:
        low, low_incl = None, True
    if m.end_including:
        high: VersionKey | None = vkey(scheme, m.end_including)
        high_incl = True
    elif m.end_excluding:
        high, high_incl = vkey(scheme, m.end_excluding), False
    else:
        high, high_incl = None, True
    return low, low_incl, high, high_incl, ""


def _branch(key: VersionKey, depth: int) -> tuple[int, ...]:
    numbers: list[int] = []
    for rank, number, _ in key:
        if rank != 2:
            break
        numbers.append(number)
        if len(numbers) == depth:
            break
    while len(numbers) < depth:
        numbers.append(0)
    return tuple(numbers)


@dataclass
class ProductIndex:
    scheme: VersionScheme
    configurations: dict[str, tuple[Configuration, ...]] = field(default_factory=dict)
    always: set[str] = field(default_factory=set)
    exact: dict[VersionKey, set[str]] = field(default_factory=lambda: defaultdict(set))
    prefix: dict[VersionKey, set[str]] = field(default_factory=lambda: defaultdict(set))
    buckets: dict[tuple[int, ...], list[Range]] = field(default_factory=lambda: defaultdict(list))
    wide: list[Range] = field(default_factory=list)

    def add(
        self, cve: str, configurations: tuple[Configuration, ...], idents: Iterable[tuple[str, str]]
    ) -> None:
        wanted = set(idents)
        self.configurations[cve] = configurations
        scheme = self.scheme
        depth = scheme.branch_depth
        for config in configurations:
            for node in config.nodes:
                for m in node.matches:
                    c = m.criteria
                    if not m.vulnerable or (c.vendor, c.product) not in wanted:
                        continue
                    if c.version not in (ANY, NA):
                        if c.update == ANY:
                            self.prefix[vkey(scheme, c.version)].add(cve)
                        else:
                            self.exact[vkey(scheme, scheme.combine(c.version, c.update))].add(cve)
                        continue
                    if not m.has_range:
                        self.always.add(cve)
                        continue
                    low, low_incl, high, high_incl, _ = _bounds(m, scheme)
                    entry = (low, low_incl, high, high_incl, cve)
                    if low is not None and high is not None:
                        b_low, b_high = _branch(low, depth), _branch(high, depth)
                        if b_low == b_high or (
                            not high_incl
                            and high[:depth] == tuple((2, n, "") for n in b_high)
                            and _next_branch(b_low) == b_high
                        ):
                            self.buckets[b_low].append(entry)
                            continue
                    self.wide.append(entry)

    def candidates(self, key: VersionKey) -> set[str]:
        found = set(self.always)
        found |= self.exact.get(key, set())
        found |= self.prefix.get(key, set())
        for i, part in enumerate(key):
            if part[0] in (0, 1) and part != _END:
                found |= self.prefix.get((*key[:i], _END), set())
        for entries in (self.buckets.get(_branch(key, self.scheme.branch_depth), ()), self.wide):
            for low, low_incl, high, high_incl, cve in entries:
                if cve in found:
                    continue
                if low is not None and (key < low or (key == low and not low_incl)):
                    continue
                if high is not None and (key > high or (key == high and not high_incl)):
                    continue
                found.add(cve)
        return found

    def match(self, target: Target) -> dict[str, Evaluation]:
        """Evaluations of every CVE of this product whose configuration can apply."""
        key = target.key()
        cves = set(self.configurations) if key is None else self.candidates(key)
        results: dict[str, Evaluation] = {}
        for cve in cves:
            evaluation = evaluate_all(self.configurations[cve], target)
            if evaluation.hits:
                results[cve] = evaluation
        return results


def _next_branch(branch: tuple[int, ...]) -> tuple[int, ...]:
    return (*branch[:-1], branch[-1] + 1)


def scan_records(
    records: Iterable[tuple[str, tuple[Configuration, ...]]], target: Target
) -> dict[str, Evaluation]:
    """The straightforward way: evaluate every record's configurations in turn."""
    results: dict[str, Evaluation] = {}
    for cve, configurations in records:
        evaluation = evaluate_all(configurations, target)
        if evaluation.hits:
            results[cve] = evaluation
    return results
