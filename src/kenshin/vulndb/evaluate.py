"""Evaluating NVD configurations against what we know about one product.

NVD's applicability language: a configuration's nodes are combined with AND/OR; a node
combines its ``cpeMatch`` entries with its own operator and may be negated; an entry is
``vulnerable`` (the thing that has the flaw) or not (the platform it must run on, e.g.
the FortiGate-6000 hardware under FortiOS). Results are three-valued: ``True``,
``False`` or ``None`` (cannot tell: version or platform unknown), so that missing
knowledge never turns into a silent "not affected".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from kenshin.vulndb.cpe import ANY, NA
from kenshin.vulndb.records import Configuration, CpeMatch, Node
from kenshin.vulndb.versions import VersionKey, VersionScheme

Tri = bool | None


@dataclass(frozen=True, slots=True)
class Target:
    """The product being checked: its CPE identities, version, and known hardware."""

    software: frozenset[tuple[str, str]]
    version: str | None
    scheme: VersionScheme
    hardware: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    hardware_known: bool = False
    # For a whole version segment at once (matcher.py): the ids of the entries whose
    # version test holds throughout the segment. ``None``: test against ``version``.
    within: frozenset[int] | None = field(default=None, repr=False, compare=False)
    _key: VersionKey | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", self.scheme.key(self.version) if self.version else None)

    def key(self) -> VersionKey | None:
        return self._key

    @property
    def version_known(self) -> bool:
        return self._key is not None or self.within is not None

    def context(self) -> tuple[object, ...]:
        """Everything but the version: what decides every entry that is not a version test."""
        return (self.software, self.hardware, self.hardware_known, self.scheme.name)


@lru_cache(maxsize=1 << 17)
def vkey(scheme: VersionScheme, version: str) -> VersionKey:
    """``scheme.key(version)``, remembered: the same bounds are compared again and again."""
    return scheme.key(version)


def extends(version: VersionKey, base: VersionKey) -> bool:
    """``version`` is ``base`` plus a release suffix (``9.0R3.4`` extends ``9.0``)."""
    stem = base[:-1]
    if len(version) <= len(stem) or version[: len(stem)] != stem:
        return False
    return version[len(stem)][0] in (0, 1) and version[len(stem)] != (1, 0, "")


def version_matches(m: CpeMatch, target: Target) -> Tri:
    """Whether the target's version satisfies one entry (None when the version is unknown)."""
    if target.within is not None:
        return id(m) in target.within
    scheme = target.scheme
    wanted = m.criteria.version
    key = target.key()
    if wanted not in (ANY, NA):
        if key is None:
            return None
        update = m.criteria.update
        if update == ANY:
            base = vkey(scheme, wanted)
            return key == base or extends(key, base)
        return key == vkey(scheme, scheme.combine(wanted, update))
    if not m.has_range:
        return True
    if key is None:
        return None
    if m.start_including and key < vkey(scheme, m.start_including):
        return False
    if m.start_excluding and key <= vkey(scheme, m.start_excluding):
        return False
    if m.end_including and key > vkey(scheme, m.end_including):
        return False
    return not (m.end_excluding and key >= vkey(scheme, m.end_excluding))


def entry_matches(m: CpeMatch, target: Target) -> Tri:
    ident = (m.criteria.vendor, m.criteria.product)
    if ident in target.software and m.criteria.part != "h":
        return version_matches(m, target)
    if m.criteria.part == "h" or not m.vulnerable:
        if ident in target.hardware:
            return True
        if target.hardware_known and m.criteria.part == "h":
            return False
        return None
    return False


def _combine(values: list[Tri], operator: str) -> Tri:
    if operator == "AND":
        if any(v is False for v in values):
            return False
        return None if any(v is None for v in values) else True
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _negate(value: Tri, negate: bool) -> Tri:
    return (not value if value is not None else None) if negate else value


@dataclass(frozen=True, slots=True)
class Evaluation:
    """How one configuration applies: its value and the vulnerable entries that hit."""

    value: Tri
    hits: tuple[CpeMatch, ...]


def evaluate_node(node: Node, target: Target) -> tuple[Tri, list[CpeMatch]]:
    values: list[Tri] = []
    hits: list[CpeMatch] = []
    for m in node.matches:
        value = entry_matches(m, target)
        values.append(value)
        if (
            value is not False
            and m.vulnerable
            and (m.criteria.vendor, m.criteria.product) in target.software
        ):
            hits.append(m)
    result = _negate(_combine(values, node.operator), node.negate)
    return result, [] if node.negate else hits


def _evaluate_simple(node: Node, target: Target) -> Evaluation:
    """One plain OR node (most NVD configurations): the same result, less bookkeeping."""
    value: Tri = False
    hits: list[CpeMatch] = []
    software = target.software
    for m in node.matches:
        result = entry_matches(m, target)
        if result is False:
            continue
        if result is True:
            value = True
        elif value is False:
            value = None
        if m.vulnerable and (m.criteria.vendor, m.criteria.product) in software:
            hits.append(m)
    return Evaluation(value=value, hits=tuple(hits) if value is not False else ())


def evaluate(config: Configuration, target: Target) -> Evaluation:
    if len(config.nodes) == 1 and not config.negate:
        node = config.nodes[0]
        if node.operator == "OR" and not node.negate:
            return _evaluate_simple(node, target)
    values: list[Tri] = []
    hits: list[CpeMatch] = []
    for node in config.nodes:
        value, node_hits = evaluate_node(node, target)
        values.append(value)
        if value is not False:
            hits.extend(node_hits)
    value = _negate(_combine(values, config.operator), config.negate)
    return Evaluation(value=value, hits=tuple(hits) if value is not False else ())


def evaluate_all(configurations: tuple[Configuration, ...], target: Target) -> Evaluation:
    """The best outcome over a record's configurations (affected beats unknown)."""
    unknown: list[CpeMatch] = []
    for config in configurations:
        result = evaluate(config, target)
        if not result.hits:
            continue
        if result.value is True:
            true_hits = tuple(h for h in result.hits if version_matches(h, target) is True)
            return Evaluation(True, true_hits or result.hits)
        if result.value is None:
            unknown.extend(result.hits)
    if unknown:
        return Evaluation(None, tuple(unknown))
    return Evaluation(False, ())
