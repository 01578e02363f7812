"""The product index: from (product, version) to the CVEs that apply, by binary search.

Every version test of an NVD entry is an interval of version keys: a range
(``versionStartIncluding`` ... ``versionEndExcluding``), an enumerated release
(``9.1:r11.4`` is the one-point interval ``[9.1-r11.4, 9.1-r11.4]``), or a release with
any update (``9.0`` also holds ``9.0R3.4``: every key that continues ``9.0``'s stem with
a letter part). For one target context (its software, hardware and scheme; everything
but the version), the sorted interval ends cut the version line into elementary
segments: each ``(b[i-1], b[i])`` and each ``b[i]`` itself. Inside a segment every
version test has the same answer, so every record's evaluation does too. One sweep over
the interval ends re-evaluates a record (with the real evaluator, told which of its
entries hold) only where one of its intervals starts or ends; a ``SegmentTable`` keeps
the resulting runs (the stretches of segments over which a CVE applies with one
evaluation), and a ``StabbingTree`` files each run at O(log n) nodes. A query is a
version key, a binary search and the shared tuples on one leaf-to-root path.

Configurations with AND, ``negate`` or "running on" hardware need no special case:
their non-version entries do not depend on the version, so they are constant within a
context. Only an entry whose any-update release cannot be written as an interval (a key
that does not end with the end-of-version part) sends its record to ``fallback``, which
is evaluated per query; a query key with an unusual shape is evaluated record by record.
``scan_records`` is the straightforward per-record scan the benchmark compares against.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from kenshin.vulndb.cpe import ANY, NA
from kenshin.vulndb.evaluate import Evaluation, Target, evaluate_all, vkey
from kenshin.vulndb.records import Configuration, CpeMatch
from kenshin.vulndb.versions import VersionKey, VersionScheme

_END = (1, 0, "")
# Sorts before / after every part that may follow a release's stem as an update.
_BEFORE_UPDATES = (0, -1, "")
_AFTER_UPDATES = (2, -1, "")

T = TypeVar("T")
# first segment, last segment, CVE, its evaluation there, ids of its entries that hold
Run = tuple[int, int, str, Evaluation, frozenset[int]]
# (low, low included, high, high included); None is an open end
Interval = tuple[VersionKey | None, bool, VersionKey | None, bool]


def entry_interval(m: CpeMatch, scheme: VersionScheme) -> Interval | None:
    """The versions for which ``version_matches`` holds, or None when not an interval."""
    wanted = m.criteria.version
    if wanted not in (ANY, NA):
        if m.criteria.update != ANY:
            point = vkey(scheme, scheme.combine(wanted, m.criteria.update))
            return point, True, point, True
        base = vkey(scheme, wanted)
        if not base or base[-1] != _END:
            return None
        stem = base[:-1]
        return (*stem, _BEFORE_UPDATES), False, (*stem, _AFTER_UPDATES), False
    low: VersionKey | None = None
    high: VersionKey | None = None
    low_incl = high_incl = True
    # every bound that is set applies, exactly as in ``version_matches``
    if m.start_including:
        low = vkey(scheme, m.start_including)
    if m.start_excluding:
        bound = vkey(scheme, m.start_excluding)
        if low is None or bound >= low:
            low, low_incl = bound, False
    if m.end_including:
        high = vkey(scheme, m.end_including)
    if m.end_excluding:
        bound = vkey(scheme, m.end_excluding)
        if high is None or bound <= high:
            high, high_incl = bound, False
    return low, low_incl, high, high_incl


def plain_key(key: VersionKey) -> bool:
    """A key shaped as every scheme makes them: the end-of-version part last, only there."""
    return bool(key) and key[-1] == _END and _END not in key[:-1]


@dataclass(frozen=True)
class SegmentTable:
    """One product's records over the elementary version segments (one target context).

    ``runs`` are maximal stretches of segments ``first..last`` over which a CVE applies
    with one evaluation (and one set ``within`` of its entries whose version test holds).
    """

    bounds: tuple[VersionKey, ...]
    runs: tuple[Run, ...]
    fallback: tuple[str, ...]  # records evaluated per query

    @property
    def segments(self) -> int:
        return 2 * len(self.bounds) + 1  # open, point, open, ..., point, open


def locate(bounds: tuple[VersionKey, ...], key: VersionKey) -> int | None:
    """The segment that holds ``key`` (None: evaluate record by record instead)."""
    if not plain_key(key):
        return None
    i = bisect_left(bounds, key)
    return 2 * i + 1 if i < len(bounds) and bounds[i] == key else 2 * i


class StabbingTree(Generic[T]):
    """Values on stretches of leaves, each kept at the O(log n) tree nodes that cover it.

    The values of one leaf are those on its path to the root, so a query reads about
    log2(leaves) shared tuples instead of every stretch, and memory stays near
    ``stretches * log(leaves)`` instead of ``stretches * length``.
    """

    def __init__(self, leaves: int, stretches: Iterable[tuple[int, int, T]]) -> None:
        size = 1
        while size < leaves:
            size *= 2
        nodes: list[list[T]] = [[] for _ in range(2 * size)]
        for first, last, value in stretches:
            low, high = first + size, last + size + 1
            while low < high:
                if low & 1:
                    nodes[low].append(value)
                    low += 1
                if high & 1:
                    high -= 1
                    nodes[high].append(value)
                low >>= 1
                high >>= 1
        self._size = size
        self._nodes: tuple[tuple[T, ...], ...] = tuple(tuple(n) if n else () for n in nodes)

    def stab(self, leaf: int) -> list[T]:
        found: list[T] = []
        nodes = self._nodes
        i = leaf + self._size
        while i:
            found += nodes[i]
            i >>= 1
        return found


def build_table(
    configurations: dict[str, tuple[Configuration, ...]], context: Target
) -> SegmentTable:
    """Sweep the interval ends of every version test of the context's software."""
    scheme, software = context.scheme, context.software
    spans: list[tuple[str, int, Interval]] = []
    fallback: list[str] = []
    for cve, configs in configurations.items():
        found = _intervals(configs, software, scheme)
        if found is None:
            fallback.append(cve)
        else:
            spans.extend((cve, entry, interval) for entry, interval in found)
    ends = {k for _, _, (low, _, high, _) in spans for k in (low, high) if k is not None}
    bounds = tuple(sorted(ends))
    where = {k: i for i, k in enumerate(bounds)}
    last = 2 * len(bounds)
    starts: dict[int, list[tuple[str, int]]] = {}
    stops: dict[int, list[tuple[str, int]]] = {}
    for cve, entry, (low, low_incl, high, high_incl) in spans:
        first = 0 if low is None else 2 * where[low] + (1 if low_incl else 2)
        end = last if high is None else 2 * where[high] + (1 if high_incl else 0)
        if first <= end:
            starts.setdefault(first, []).append((cve, entry))
            stops.setdefault(end + 1, []).append((cve, entry))
    skip = set(fallback)
    context = replace(context, version=None, within=None)
    holding: dict[str, set[int]] = {}
    known: dict[tuple[str, frozenset[int]], Evaluation | None] = {}
    running: dict[str, tuple[int, Evaluation, frozenset[int]]] = {}
    runs: list[Run] = []
    changed: set[str] = {cve for cve in configurations if cve not in skip}
    for segment in range(last + 1):
        for cve, entry in stops.get(segment, ()):
            holding[cve].discard(entry)
            changed.add(cve)
        for cve, entry in starts.get(segment, ()):
            holding.setdefault(cve, set()).add(entry)
            changed.add(cve)
        for cve in changed:
            within = frozenset(holding.get(cve, ()))
            memo = (cve, within)
            if memo not in known:
                result = evaluate_all(configurations[cve], replace(context, within=within))
                known[memo] = result if result.hits else None
            evaluation = known[memo]
            before = running.get(cve)
            if before is not None and before[1] is evaluation:
                continue
            if before is not None:
                runs.append((before[0], segment - 1, cve, before[1], before[2]))
                del running[cve]
            if evaluation is not None:
                running[cve] = (segment, evaluation, within)
        changed.clear()
    runs.extend((first, last, cve, ev, within) for cve, (first, ev, within) in running.items())
    return SegmentTable(bounds, tuple(runs), tuple(fallback))


def _intervals(
    configs: tuple[Configuration, ...], software: frozenset[tuple[str, str]], scheme: VersionScheme
) -> list[tuple[int, Interval]] | None:
    """Each version test of the record (by entry id), or None if one is not an interval."""
    found: list[tuple[int, Interval]] = []
    for config in configs:
        for node in config.nodes:
            for m in node.matches:
                if (m.criteria.vendor, m.criteria.product) in software:
                    interval = entry_interval(m, scheme)
                    if interval is None:
                        return None
                    found.append((id(m), interval))
    return found


@dataclass
class ProductIndex:
    """The records of one product and, per target context, their segment table."""

    configurations: dict[str, tuple[Configuration, ...]] = field(default_factory=dict)
    _tables: dict[tuple[object, ...], tuple[SegmentTable, StabbingTree[tuple[str, Evaluation]]]] = (
        field(default_factory=dict)
    )

    def add(self, cve: str, configurations: tuple[Configuration, ...]) -> None:
        self.configurations[cve] = configurations
        self._tables.clear()

    def evaluate(self, cves: Iterable[str], target: Target) -> dict[str, Evaluation]:
        """The straightforward evaluation of some of the records."""
        results: dict[str, Evaluation] = {}
        for cve in cves:
            evaluation = evaluate_all(self.configurations[cve], target)
            if evaluation.hits:
                results[cve] = evaluation
        return results

    def match(self, target: Target) -> dict[str, Evaluation]:
        """Evaluations of every CVE of this product that applies to the target."""
        key = target.key()
        if key is None:
            return self.evaluate(self.configurations, target)
        context = target.context()
        if context not in self._tables:
            table = build_table(self.configurations, target)
            stretches = ((first, last, (cve, ev)) for first, last, cve, ev, _ in table.runs)
            self._tables[context] = table, StabbingTree(table.segments, stretches)
        table, tree = self._tables[context]
        segment = locate(table.bounds, key)
        if segment is None:
            return self.evaluate(self.configurations, target)
        results = dict(tree.stab(segment))
        results.update(self.evaluate(table.fallback, target))
        return results


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
