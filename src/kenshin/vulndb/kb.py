"""The knowledge base: the built SQLite file (NVD, KEV, JVN) plus the shipped snapshot.

Per CVE the version data comes from the best source that has it: NVD's analysed
configurations, else kenshin's snapshot, else ranges parsed from JVN's Japanese text.
A CVE that is linked to the product but has none of these is reported as
``no_version_data`` rather than left out.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
from bisect import bisect_left, insort
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from threading import Lock
from typing import Any

from kenshin.config import data_dir
from kenshin.domain import Confidence, FirmwareStatus, Severity
from kenshin.i18n import translate
from kenshin.vulndb.cpe import ANY, CPE, NA, CPEError
from kenshin.vulndb.evaluate import Evaluation, Target, version_matches
from kenshin.vulndb.matcher import ProductIndex, StabbingTree, build_table, locate
from kenshin.vulndb.model import (
    Coverage,
    FirmwareCheck,
    KBStatus,
    MatchStatus,
    ProductQuery,
    SourceInfo,
    VulnMatch,
)
from kenshin.vulndb.products import (
    ResolvedProduct,
    identity,
    product_name,
    resolve,
    rules,
    scheme_for,
    siblings,
    template_pattern,
)
from kenshin.vulndb.records import (
    Configuration,
    CpeMatch,
    Node,
    configurations_from_json,
    severity_for,
)
from kenshin.vulndb.snapshot import (
    Snapshot,
    SnapshotEntry,
    backport_verdict,
    fixed_in,
    last_affected,
    load_kev_facts,
    load_snapshot,
)
from kenshin.vulndb.store import connect
from kenshin.vulndb.versions import VersionKey

KB_PATH_ENV = "KENSHIN_VULNDB"
Ident = tuple[str, str]


def default_path() -> Path:
    """Where the built knowledge base lives (``KENSHIN_VULNDB`` overrides it)."""
    override = os.environ.get(KB_PATH_ENV)
    return Path(override) if override else data_dir() / "vulndb" / "kb.sqlite3"


def last_update_path(path: Path) -> Path:
    return path.with_name(path.name + ".last-update.json")


@dataclass(frozen=True)
class _CveInfo:
    cve: str
    description_en: str
    cvss: float | None
    vuln_status: str
    has_configurations: bool
    nvd_kev_added: date | None


@dataclass(frozen=True)
class _Prepared:
    """A product's matches per version segment for one target context, composed once.

    The tree holds, per stretch of segments, an index: ``n >= 0`` is ``ordered[n]``, a
    match composed at load and numbered in output order, so sorting the numbers sorts
    the matches; ``n < 0`` is ``per_query[-n - 1]``, a CVE whose match depends on more
    than the segment (a snapshot entry's fixed release), composed per query.
    ``fallback`` CVEs are evaluated per query (``matcher.py``).
    """

    bounds: tuple[VersionKey, ...]
    tree: StabbingTree[int]
    ordered: tuple[VulnMatch, ...]
    per_query: tuple[tuple[str, Evaluation], ...]
    fallback: tuple[str, ...]


@dataclass
class _Group:
    index: ProductIndex | None  # None: let go once prepared, read again when needed
    source: dict[str, str]
    no_version_data: set[str]
    prepared: dict[tuple[object, ...], _Prepared] = field(default_factory=dict)


class KnowledgeBase:
    """Match products and firmware against known vulnerabilities."""

    def __init__(self, path: Path | None, snapshot: Snapshot | None = None) -> None:
        self.path = path if path is not None and path.exists() else None
        self.requested_path = path
        self.snapshot = snapshot or load_snapshot()
        self._conn: sqlite3.Connection | None = (
            connect(self.path, readonly=True) if self.path else None
        )
        self._groups: dict[Ident, _Group] = {}
        self._lock = Lock()
        self.unreadable: set[str] = set()
        self._info_memo: dict[str, _CveInfo | None] = {}
        self._kev_memo: dict[str, tuple[bool, date | None, bool, str]] = {}
        self._jvn_memo: dict[str, tuple[tuple[str, ...], str, str]] = {}
        self._compose_memo: dict[tuple[object, ...], VulnMatch] = {}
        self._result_memo: dict[tuple[Target, str], tuple[VulnMatch, ...]] = {}
        self._title_memo: dict[tuple[str, str], tuple[str, str]] = {}
        self._advice_memo: dict[tuple[str | None, str | None, str | None], dict[str, str]] = {}
        self._sources_memo: tuple[SourceInfo, ...] | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # ------------------------------------------------------------------ status
    def status(self) -> KBStatus:
        meta = self._meta()
        last: dict[str, Any] | None = None
        marker = last_update_path(self.requested_path or default_path())
        if marker.exists():
            try:
                last = json.loads(marker.read_text("utf-8"))
            except (OSError, ValueError):
                last = None
        sources = self.sources()
        return KBStatus(
            path=str(self.path) if self.path else None,
            built_at=meta.get("built_at"),
            cve_count=sources[0].records,
            kev_count=sources[1].records,
            kev_catalog_version=meta.get("kev_catalog_version"),
            jvn_count=sources[2].records,
            snapshot_date=self.snapshot.date,
            snapshot_count=len(self.snapshot.entries),
            last_update=last,
            sources=sources,
            product_lines=self.product_lines(),
        )

    def _meta(self) -> dict[str, str]:
        if self._conn is None:
            return {}
        return {r["key"]: r["value"] for r in self._conn.execute("SELECT key, value FROM meta")}

    def sources(self) -> tuple[SourceInfo, ...]:
        """NVD, CISA KEV, JVN and the snapshot: loaded or not, records, dates."""
        if self._sources_memo is not None:
            return self._sources_memo
        meta = self._meta()
        kev_count = jvn_count = 0
        if self._conn is not None:
            kev_count = self._conn.execute("SELECT count(*) FROM kev").fetchone()[0]
            jvn_count = self._conn.execute("SELECT count(*) FROM jvn").fetchone()[0]
        cve_count = int(meta.get("cve_count", "0"))
        facts = load_kev_facts()
        self._sources_memo = (
            SourceInfo("NVD", cve_count > 0, cve_count, _day(meta.get("nvd_updated_at"))),
            SourceInfo(
                "CISA KEV",
                kev_count > 0,
                kev_count,
                _day(meta.get("kev_updated_at")),
                meta.get("kev_catalog_version"),
            ),
            SourceInfo("JVN", jvn_count > 0, jvn_count, _day(meta.get("jvn_updated_at"))),
            SourceInfo("kenshin snapshot", True, len(self.snapshot.entries), self.snapshot.date),
            SourceInfo(
                "CISA KEV (bundled facts)",
                True,
                len(facts.entries),
                facts.date_released,
                facts.catalog_version,
            ),
        )
        return self._sources_memo

    def sources_text(self) -> str:
        """The sources actually loaded, with their dates (``NVD 2026-11-30, ...``)."""
        return ", ".join(
            " ".join(x for x in (s.name, s.version or s.date or "") if x)
            for s in self.sources()
            if s.loaded
        )

    # ------------------------------------------------------------------ coverage
    def _records(self, idents: frozenset[Ident]) -> dict[str, int]:
        """How many records of each source name one of ``idents``."""
        counts = {"nvd": 0, "kev": 0, "jvn": 0, "snapshot": 0}
        counts["snapshot"] = sum(1 for e in self.snapshot.entries.values() if e.products & idents)
        conn = self._conn
        if conn is not None:
            for table, name in (
                ("cve_product", "nvd"),
                ("kev_product", "kev"),
                ("jvn_product", "jvn"),
            ):
                for ident in idents:
                    counts[name] += conn.execute(
                        f"SELECT count(*) FROM {table} WHERE vendor = ? AND product = ?",  # noqa: S608 - table names are ours
                        ident,
                    ).fetchone()[0]
        return counts

    def _known_products(self, vendor: str) -> set[str]:
        """Every CPE product of ``vendor`` that some loaded record names."""
        found = {p for e in self.snapshot.entries.values() for v, p in e.products if v == vendor}
        conn = self._conn
        if conn is not None:
            for table in ("cve_product", "kev_product", "jvn_product"):
                found |= {
                    r[0]
                    for r in conn.execute(
                        f"SELECT DISTINCT product FROM {table} WHERE vendor = ?",  # noqa: S608 - table names are ours
                        (vendor,),
                    )
                }
        return found

    def product_lines(self) -> tuple[Coverage, ...]:
        """Every product line kenshin names (``vulndb/data/products.yaml``), covered or not.

        A line with a model template (``yamaha:{model}_firmware``) is covered when any
        model's records are loaded; ``products`` lists the CPE names that have records.
        """
        out = []
        for rule in rules():
            idents: set[Ident] = set()
            for template in rule.software:
                vendor, pattern = template_pattern(template)
                idents |= {
                    (vendor, p) for p in self._known_products(vendor) if pattern.fullmatch(p)
                }
                if "{" not in template:
                    idents.add((vendor, template.partition(":")[2]))
            records = self._records(frozenset(idents))
            named = sorted(
                f"{v}:{p}" for v, p in idents if _versioned(self._records(frozenset({(v, p)})))
            )
            out.append(
                Coverage(rule.key, rule.name or rule.key, bool(named), records, tuple(named))
            )
        return tuple(out)

    def coverage(self, vendor: str, model: str) -> Coverage:
        """Whether the knowledge base has any record for this product: the call to make
        before saying anything about a device's vulnerabilities.

        ``coverage("NEC", "UNIVERGE IX2215").covered`` is False while no source names
        the IX firmware: report "not covered by the knowledge base" (ask the vendor
        for its advisories), never "no known vulnerabilities".
        """
        resolved = resolve(vendor, model)
        idents = resolved.software if resolved is not None else frozenset({identity(vendor, model)})
        records = self._records(frozenset(idents))
        name = f"{vendor} {model}".strip()
        return Coverage(
            resolved.key if resolved else "",
            name,
            _versioned(records),
            records,
            tuple(sorted(f"{v}:{p}" for v, p in idents)),
        )

    # ------------------------------------------------------------------ groups
    def _group(self, ident: Ident, scheme_name: str) -> _Group:
        key = (ident[0], ident[1] + "\0" + scheme_name)
        group = self._groups.get(key)  # built once; reading a dict needs no lock
        if group is not None:
            return group
        with self._lock:
            group = self._groups.get(key)
            if group is None:
                group = self._build_group(ident)
                self._groups[key] = group
            return group

    def _build_group(self, ident: Ident) -> _Group:
        index, source = self._read_index(ident)
        unanalysed: set[str] = set()
        conn = self._conn
        if conn is not None:
            linked = {
                r["cve"]
                for r in conn.execute(
                    "SELECT cve FROM kev_product WHERE vendor = ? AND product = ?", ident
                )
            }
            linked |= {
                r["cve"]
                for r in conn.execute(
                    "SELECT j.cve FROM jvn_product p JOIN jvn_cve j ON j.jvn_id = p.jvn_id "
                    "WHERE p.vendor = ? AND p.product = ?",
                    ident,
                )
            }
            for cve in linked - set(source):
                info = self._info(cve)
                if info is None or not info.has_configurations:
                    unanalysed.add(cve)
        return _Group(index=index, source=source, no_version_data=unanalysed)

    def _index(self, ident: Ident, group: _Group) -> ProductIndex:
        """The group's records, read again if they were let go (call with the lock held)."""
        if group.index is None:
            group.index = self._read_index(ident)[0]
        return group.index

    def _read_index(self, ident: Ident) -> tuple[ProductIndex, dict[str, str]]:
        """A product's records by CVE, and where each one's version data comes from."""
        index = ProductIndex()
        source: dict[str, str] = {}
        conn = self._conn
        if conn is not None:
            rows = conn.execute(
                "SELECT c.id, c.description_en, c.cvss, c.vuln_status, c.configurations, "
                "c.nvd_kev_added FROM cve_product p JOIN cve c ON c.id = p.cve "
                "WHERE p.vendor = ? AND p.product = ?",
                ident,
            )
            for row in rows:
                if row["id"] not in self._info_memo:
                    self._info_memo[sys.intern(row["id"])] = _info_from_row(row)
                try:
                    configurations = configurations_from_json(row["configurations"])
                except (CPEError, ValueError, KeyError, TypeError):
                    self.unreadable.add(row["id"])  # a bad record never stops matching
                    continue
                if configurations:
                    cve = sys.intern(row["id"])  # one copy, shared by every table
                    index.add(cve, configurations)
                    source[cve] = "nvd"
        for entry in self.snapshot.entries.values():
            if ident in entry.products and entry.cve not in source:
                if any(self._nvd_has_configurations(entry.cve, i) for i in siblings(*ident)):
                    continue  # NVD's record answers for the line, under whatever name
                index.add(entry.cve, entry.configurations)
                source[entry.cve] = "snapshot"
        if conn is not None:
            for cve, configurations in self._jvn_configurations(ident).items():
                if cve not in source:
                    index.add(cve, configurations)
                    source[cve] = "jvn"
        return index, source

    def _nvd_has_configurations(self, cve: str, ident: Ident) -> bool:
        if self._conn is None:
            return False
        row = self._conn.execute(
            "SELECT 1 FROM cve_product p JOIN cve c ON c.id = p.cve "
            "WHERE p.vendor = ? AND p.product = ? AND p.cve = ? AND c.configurations IS NOT NULL",
            (*ident, cve),
        ).fetchone()
        return row is not None

    def _jvn_configurations(self, ident: Ident) -> dict[str, tuple[Configuration, ...]]:
        assert self._conn is not None
        out: dict[str, list[CpeMatch]] = {}
        rows = self._conn.execute(
            "SELECT j.id, j.cves, j.affected FROM jvn_product p JOIN jvn j ON j.id = p.jvn_id "
            "WHERE p.vendor = ? AND p.product = ?",
            ident,
        )
        for row in rows:
            cves = json.loads(row["cves"])
            for item in json.loads(row["affected"]):
                if (item["vendor"], item["product"]) != ident or not item["parsed"]:
                    continue
                criteria = CPE(
                    part="a", vendor=ident[0], product=ident[1], version=item["exact"] or ANY
                )
                m = CpeMatch(
                    criteria=criteria,
                    start_including=item["start_including"],
                    end_including=item["end_including"],
                    end_excluding=item["end_excluding"],
                )
                for cve in item["cves"] or cves:
                    out.setdefault(cve, []).append(m)
        return {cve: (Configuration(nodes=(Node(matches=tuple(ms)),)),) for cve, ms in out.items()}

    def _info(self, cve: str) -> _CveInfo | None:
        if cve in self._info_memo:
            return self._info_memo[cve]
        info = self._read_info(cve)
        self._info_memo[cve] = info
        return info

    def _read_info(self, cve: str) -> _CveInfo | None:
        if self._conn is None:
            return None
        row = self._conn.execute(
            "SELECT id, description_en, cvss, vuln_status, configurations, nvd_kev_added "
            "FROM cve WHERE id = ?",
            (cve,),
        ).fetchone()
        return None if row is None else _info_from_row(row)

    def _kev(self, cve: str) -> tuple[bool, date | None, bool, str]:
        known = self._kev_memo.get(cve)
        if known is None:
            known = self._kev_memo[cve] = self._read_kev(cve)
        return known

    def _read_kev(self, cve: str) -> tuple[bool, date | None, bool, str]:
        if self._conn is not None:
            row = self._conn.execute(
                "SELECT date_added, ransomware FROM kev WHERE cve = ?", (cve,)
            ).fetchone()
            if row is not None:
                added = date.fromisoformat(row["date_added"]) if row["date_added"] else None
                return True, added, bool(row["ransomware"]), "CISA KEV catalogue"
            info = self._info(cve)
            if info is not None and info.nvd_kev_added is not None:
                entry = self.snapshot.entries.get(cve)
                return (
                    True,
                    info.nvd_kev_added,
                    bool(entry and entry.ransomware),
                    ("KEV date from the NVD record (not in the loaded KEV catalogue)"),
                )
        fact = load_kev_facts().entries.get(cve)
        if fact is not None and not self.sources()[1].loaded:
            version = load_kev_facts().catalog_version
            return True, fact.date_added, fact.ransomware, f"CISA KEV {version} (bundled facts)"
        entry = self.snapshot.entries.get(cve)
        if entry is not None and entry.kev is not None:
            return True, entry.kev, entry.ransomware, "kenshin snapshot"
        return False, None, False, ""

    def _jvn(self, cve: str) -> tuple[tuple[str, ...], str, str]:
        known = self._jvn_memo.get(cve)
        if known is None:
            known = self._jvn_memo[cve] = (self._jvn_ids(cve), *self._jvn_text(cve))
        return known

    def _jvn_ids(self, cve: str) -> tuple[str, ...]:
        ids: list[str] = []
        entry = self.snapshot.entries.get(cve)
        if entry is not None:
            ids.extend(entry.jvn_ids)
        jvn_title = ""
        if self._conn is not None:
            for row in self._conn.execute(
                "SELECT j.id, j.title_ja FROM jvn_cve c JOIN jvn j ON j.id = c.jvn_id "
                "WHERE c.cve = ? ORDER BY j.id",
                (cve,),
            ):
                if row["id"] not in ids:
                    ids.append(row["id"])
                jvn_title = jvn_title or row["title_ja"]
        return tuple(ids)

    def _jvn_text(self, cve: str) -> tuple[str, str]:
        if self._conn is None:
            return "", ""
        row = self._conn.execute(
            "SELECT j.title_ja, j.overview_ja FROM jvn_cve c JOIN jvn j ON j.id = c.jvn_id "
            "WHERE c.cve = ? ORDER BY j.id LIMIT 1",
            (cve,),
        ).fetchone()
        return (row["title_ja"] or "", row["overview_ja"] or "") if row else ("", "")

    # ------------------------------------------------------------------ matching
    def _target(self, query: ProductQuery) -> tuple[Target | None, ResolvedProduct | None]:
        if query.cpe:
            cpe = CPE.parse(query.cpe)
            scheme = scheme_for(cpe.vendor, cpe.product)
            version = query.version or None
            if cpe.version not in (ANY, NA):
                version = scheme.combine(cpe.version, cpe.update)
            resolved = resolve(cpe.vendor, cpe.product)
            software = {(cpe.vendor, cpe.product)}
            if resolved is not None:
                software |= set(resolved.software)
            normalised = scheme.normalise(version) if version else None
            return Target(frozenset(software), normalised, scheme), resolved
        resolved = resolve(query.vendor, query.product)
        if resolved is None:
            ident = identity(query.vendor, query.product)
            scheme = scheme_for(*ident)
            normalised = scheme.normalise(query.version) if query.version else None
            return Target(frozenset({ident}), normalised, scheme), None
        normalised = resolved.scheme.normalise(query.version) if query.version.strip() else None
        return (
            Target(
                software=resolved.software,
                version=normalised,
                scheme=resolved.scheme,
                hardware=resolved.hardware,
                hardware_known=resolved.hardware_known,
            ),
            resolved,
        )

    def match(self, query: ProductQuery) -> list[VulnMatch]:
        """Known vulnerabilities of one product version, most severe first."""
        target, _ = self._target(query)
        if target is None:
            return []
        return self.match_target(target, raw_version=query.version)

    def match_target(self, target: Target, raw_version: str = "") -> list[VulnMatch]:
        """Matches for one target; results are remembered (devices repeat versions)."""
        backport = bool(raw_version and _DISTRIBUTION.search(raw_version))
        memo_key = (target, raw_version if backport else "")
        cached = self._result_memo.get(memo_key)
        if cached is None:
            cached = self._match_target(target, raw_version if backport else "")
            if len(self._result_memo) >= 50_000:
                self._result_memo.clear()
            self._result_memo[memo_key] = cached
        return list(cached)

    def _match_target(self, target: Target, raw_version: str) -> tuple[VulnMatch, ...]:
        if len(target.software) == 1:  # the common case, without the merging below
            (ident,) = target.software
            group = self._group(ident, target.scheme.name)
            if not group.no_version_data:
                made, ordered = self._ident_matches(ident, group, target, raw_version)
                return made if ordered else tuple(sorted(made, key=_order))
        groups = [
            (ident, self._group(ident, target.scheme.name)) for ident in sorted(target.software)
        ]
        unanalysed: dict[str, Ident] = {}
        for ident, group in groups:
            for cve in group.no_version_data:
                if cve not in unanalysed and not any(cve in g.source for _, g in groups):
                    unanalysed[cve] = ident
        per_ident = [
            self._ident_matches(ident, group, target, raw_version) for ident, group in groups
        ]
        found_some = [made for made in per_ident if made[0]]
        if not unanalysed and len(found_some) <= 1 and all(ordered for _, ordered in found_some):
            # the common case: one product with matches, from a prepared segment
            return found_some[0][0] if found_some else ()
        found: dict[str, VulnMatch] = {}
        for made, _ in per_ident:
            for match in made:
                old = found.get(match.cve)
                if old is None or _better(match, old):
                    found[match.cve] = match
        for cve, ident in unanalysed.items():
            if cve not in found:
                found[cve] = self._no_data_match(cve, ident)
        return tuple(sorted(found.values(), key=_order))

    def _ident_matches(
        self, ident: Ident, group: _Group, target: Target, raw_version: str
    ) -> tuple[tuple[VulnMatch, ...], bool]:
        """One product's matches, and whether they are already in output order."""
        key = target.key()
        evaluations: dict[str, Evaluation]
        if key is not None and not raw_version:
            prepared = self._prepared(ident, group, target)
            segment = locate(prepared.bounds, key)
            if segment is not None:
                numbers = prepared.tree.stab(segment)
                numbers.sort()
                if not prepared.fallback and (not numbers or numbers[0] >= 0):
                    return tuple(map(prepared.ordered.__getitem__, numbers)), True
                with self._lock:
                    index = self._index(ident, group)
                first = bisect_left(numbers, 0)
                evaluations = dict(prepared.per_query[-n - 1] for n in numbers[:first])
                evaluations.update(index.evaluate(prepared.fallback, target))
                ready = list(map(prepared.ordered.__getitem__, numbers[first:]))
                for made in self._make_matches(ident, group, evaluations, target, raw_version):
                    insort(ready, made, key=_order)  # a few into many already in order
                return tuple(ready), True
        # no version, a distribution banner or an unusual key: every record evaluated
        with self._lock:
            index = self._index(ident, group)
        evaluations = index.evaluate(index.configurations, target)
        return tuple(self._make_matches(ident, group, evaluations, target, raw_version)), False

    def _make_matches(
        self,
        ident: Ident,
        group: _Group,
        evaluations: dict[str, Evaluation],
        target: Target,
        raw_version: str,
    ) -> list[VulnMatch]:
        made = (
            self._make_match(cve, ident, ev, group.source.get(cve, "nvd"), target, raw_version)
            for cve, ev in evaluations.items()
        )
        return [m for m in made if m is not None]

    def _prepared(self, ident: Ident, group: _Group, target: Target) -> _Prepared:
        """The product's segment table for this context with every match composed, once."""
        context = target.context()
        prepared = group.prepared.get(context)  # prepared once; reading needs no lock
        if prepared is not None:
            return prepared
        with self._lock:
            prepared = group.prepared.get(context)
            if prepared is None:
                prepared = group.prepared[context] = self._prepare(ident, group, target)
                if not prepared.fallback:
                    group.index = None  # matching needs no record now: let them go
            return prepared

    def _prepare(self, ident: Ident, group: _Group, target: Target) -> _Prepared:
        table = build_table(self._index(ident, group).configurations, target)
        base = replace(target, version=None, within=None)
        composed: dict[int, VulnMatch] = {}
        per_query: dict[int, int] = {}
        later: list[tuple[str, Evaluation]] = []
        for _, _, cve, evaluation, within in table.runs:
            if id(evaluation) in composed or id(evaluation) in per_query:
                continue
            if cve in self.snapshot.entries:
                per_query[id(evaluation)] = -len(later) - 1
                later.append((cve, evaluation))
                continue
            made = self._make_match(
                cve,
                ident,
                evaluation,
                group.source.get(cve, "nvd"),
                replace(base, within=within),
                "",
            )
            assert made is not None  # only a distribution banner drops a match
            composed[id(evaluation)] = made
        ordered = sorted({id(m): m for m in composed.values()}.values(), key=_order)
        number = {id(m): i for i, m in enumerate(ordered)}
        numbers = {ev: number[id(m)] for ev, m in composed.items()} | per_query
        stretches = ((first, last, numbers[id(ev)]) for first, last, _, ev, _ in table.runs)
        return _Prepared(
            bounds=table.bounds,
            tree=StabbingTree(table.segments, stretches),
            ordered=tuple(ordered),
            per_query=tuple(later),
            fallback=table.fallback,
        )

    def _make_match(
        self,
        cve: str,
        ident: Ident,
        evaluation: Evaluation,
        source: str,
        target: Target,
        raw_version: str,
    ) -> VulnMatch | None:
        entry = self.snapshot.entries.get(cve)
        info = self._info(cve)
        key = target.key()
        status: MatchStatus = "affected" if evaluation.value is True else "possible"
        confidence = Confidence.HIGH
        notes: list[str] = []
        if source == "snapshot":
            checked = bool(entry and {"nvd", "nvd_feed"} & set(entry.checked))
            confidence = Confidence.HIGH if checked else Confidence.MEDIUM
            if info is not None and not info.has_configurations:
                notes.append(f"NVD: {info.vuln_status or 'no'} analysis, no version data yet")
            notes.append("matched by kenshin snapshot")
        elif source == "jvn":
            confidence = Confidence.MEDIUM
            notes.append("matched by JVN affected-version text")
        if entry is not None and ident in entry.any_version_products:
            status = "possible"
            confidence = Confidence.LOW
            notes.append("the version string does not show the patch level")
        if evaluation.value is None:
            confidence = Confidence.MEDIUM if confidence is Confidence.HIGH else Confidence.LOW
            notes.append("platform or version not confirmed")
        if raw_version:
            verdict = backport_verdict(cve, ident, raw_version)
            if verdict is not None:
                outcome, detail = verdict
                if outcome == "fixed":
                    return None
                notes.append(detail)
                if outcome == "unknown":
                    status = "possible"
                    confidence = Confidence.LOW
                    notes.append(translate("vulndb.match.backport_possible", "en"))
        hits = evaluation.hits
        fixed: str | None = None
        last: str | None = None
        for hit in hits:
            if target.version_known and version_matches(hit, target) is True:
                fixed = fixed or hit.end_excluding
                last = last or hit.end_including
        if entry is not None and key is not None:
            fixed = fixed_in(entry, ident, key) or fixed
            last = last or last_affected(entry, ident, key)
        evidence = sys.intern("; ".join([_describe(hits, target), *notes]))  # often repeated
        return self._compose(
            cve, ident, status, confidence, fixed, last, evidence, info, target.scheme.name
        )

    def _no_data_match(self, cve: str, ident: Ident) -> VulnMatch:
        info = self._info(cve)
        state = info.vuln_status if info and info.vuln_status else "no NVD record"
        evidence = f"linked to {ident[0]}:{ident[1]} by KEV/JVN; NVD: {state}, no version data yet"
        return self._compose(
            cve, ident, "no_version_data", Confidence.LOW, None, None, evidence, info
        )

    def _compose(
        self,
        cve: str,
        ident: Ident,
        status: MatchStatus,
        confidence: Confidence,
        fixed: str | None,
        last: str | None,
        evidence: str,
        info: _CveInfo | None,
        scheme: str = "generic",
    ) -> VulnMatch:
        memo_key = (cve, ident, status, confidence, fixed, last, evidence, scheme)
        made = self._compose_memo.get(memo_key)
        if made is None:
            made = self._compose_new(
                cve, ident, status, confidence, fixed, last, evidence, info, scheme
            )
            if len(self._compose_memo) < 20_000:
                self._compose_memo[memo_key] = made
        return made

    def _compose_new(
        self,
        cve: str,
        ident: Ident,
        status: MatchStatus,
        confidence: Confidence,
        fixed: str | None,
        last: str | None,
        evidence: str,
        info: _CveInfo | None,
        scheme: str,
    ) -> VulnMatch:
        entry: SnapshotEntry | None = self.snapshot.entries.get(cve)
        kev, kev_date, ransomware, kev_source = self._kev(cve)
        if kev_source and kev_source != "CISA KEV catalogue":
            evidence += f"; {kev_source}"
        cvss = info.cvss if info and info.cvss is not None else (entry.cvss if entry else None)
        product = ident[1].replace("_", " ")
        jvn_ids, jvn_title, jvn_overview = self._jvn(cve)
        description_en = entry.description_en if entry else (info.description_en if info else "")
        if entry:
            title_ja, title_en = entry.title_ja, entry.title_en
        else:
            titles = self._title_memo.get((cve, product))
            if titles is None:  # shared by all matches of the CVE: they are many
                titles = self._title_memo[(cve, product)] = (
                    jvn_title
                    or translate("vulndb.match.title_generic_ja", "ja", product=product, cve=cve),
                    _first_sentence(description_en)
                    or translate("vulndb.match.title_generic_ja", "en", product=product, cve=cve),
                )
            title_ja, title_en = titles
        advice = self._advice(fixed, last, entry)
        return VulnMatch(
            cve=cve,
            title_ja=title_ja,
            title_en=title_en,
            description_ja=entry.description_ja if entry else jvn_overview,
            description_en=description_en,
            advice_ja=advice["ja"],
            advice_en=advice["en"],
            cvss=cvss,
            severity=severity_for(cvss, Severity.HIGH if kev else Severity.MEDIUM),
            kev=kev,
            kev_date=kev_date,
            ransomware=ransomware,
            jvn_ids=jvn_ids,
            fixed_version=fixed,
            confidence=confidence,
            status=status,
            evidence=evidence,
            product=product_name(*ident),
            scheme=scheme,
            extra_advice_ja=entry.advice_ja if entry else "",
            extra_advice_en=entry.advice_en if entry else "",
        )

    def _advice(
        self, fixed: str | None, last: str | None, entry: SnapshotEntry | None
    ) -> dict[str, str]:
        """The advice texts, shared between matches (many matches advise the same)."""
        memo_key = (fixed, last, entry.cve if entry else None)
        known = self._advice_memo.get(memo_key)
        if known is not None:
            return known
        if fixed:
            advice = {
                lang: translate("vulndb.match.advice_fixed", lang, fixed=fixed)
                for lang in ("ja", "en")
            }
        elif last:
            advice = {
                lang: translate("vulndb.match.advice_after", lang, last=last)
                for lang in ("ja", "en")
            }
        else:
            advice = {lang: translate("vulndb.match.advice_vendor", lang) for lang in ("ja", "en")}
        if entry:
            advice = {
                "ja": f"{advice['ja']}{entry.advice_ja}",
                "en": f"{advice['en']} {entry.advice_en}",
            }
        if len(self._advice_memo) < 100_000:
            self._advice_memo[memo_key] = advice
        return advice

    # ------------------------------------------------------------------ firmware
    def check_firmware(self, vendor: str, model: str, version: str | None) -> FirmwareCheck:
        """Known vulnerabilities of a device's firmware, or why they cannot be told."""
        product = f"{vendor} {model}".strip()
        resolved = resolve(vendor, model)
        if resolved is not None and not self.coverage(vendor, model).covered:
            texts = {
                lang: translate("vulndb.fw.not_covered", lang, product=product)
                for lang in ("ja", "en")
            }
            kev = load_kev_facts().of_line(resolved.key)
            if kev:
                cves = ", ".join(f.cve for f in kev)
                for lang in ("ja", "en"):
                    texts[lang] += " " + translate(
                        "vulndb.fw.not_covered_kev", lang, count=len(kev), cves=cves
                    )
            return FirmwareCheck(
                vendor, model, version, FirmwareStatus.NOT_COVERED, None, texts["ja"], texts["en"]
            )
        if resolved is None:
            ident = identity(vendor, model)
            known = self._group(ident, scheme_for(*ident).name)
            if not known.source and not known.no_version_data:
                return FirmwareCheck(
                    vendor,
                    model,
                    version,
                    FirmwareStatus.UNKNOWN_PRODUCT,
                    None,
                    translate("vulndb.fw.unknown_product", "ja", product=product),
                    translate("vulndb.fw.unknown_product", "en", product=product),
                )
        query = ProductQuery(vendor=vendor, product=model, version=version or "")
        target, _ = self._target(query)
        if target is None or target.version is None:
            reason = "" if not version else f"（{version}）"
            return FirmwareCheck(
                vendor,
                model,
                version,
                FirmwareStatus.VERSION_UNKNOWN,
                None,
                translate("vulndb.fw.version_unknown", "ja", product=product, reason=reason),
                translate(
                    "vulndb.fw.version_unknown",
                    "en",
                    product=product,
                    reason=f"({version})" if version else "",
                ),
                tuple(self._kev_of_product(target)) if target else (),
            )
        matches = self.match_target(target, raw_version=version or "")
        real = [m for m in matches if m.status in ("affected", "possible")]
        no_data = [m for m in matches if m.status == "no_version_data"]
        sources = self.sources_text()
        if real:
            kev_count = sum(1 for m in real if m.kev)
            texts = {
                lang: translate(
                    "vulndb.fw.affected",
                    lang,
                    product=product,
                    version=target.version,
                    count=len(real),
                    kev=kev_count,
                )
                for lang in ("ja", "en")
            }
            status = FirmwareStatus.AFFECTED
        else:
            texts = {
                lang: translate(
                    "vulndb.fw.not_affected",
                    lang,
                    product=product,
                    version=target.version,
                    sources=sources,
                )
                for lang in ("ja", "en")
            }
            status = FirmwareStatus.NOT_AFFECTED
        if no_data:
            cves = ", ".join(m.cve for m in no_data)
            for lang in ("ja", "en"):
                texts[lang] += " " + translate(
                    "vulndb.fw.no_version_data_note", lang, count=len(no_data), cves=cves
                )
        return FirmwareCheck(
            vendor,
            model,
            version,
            status,
            target.version,
            texts["ja"],
            texts["en"],
            tuple(matches),
        )

    def covers(self, query: ProductQuery) -> bool:
        """Whether the knowledge base holds any record of the product (version aside).

        A product it has nothing on is "not covered": never "no known vulnerabilities".
        """
        target, _ = self._target(query)
        if target is None:
            return False
        for ident in target.software:
            group = self._group(ident, target.scheme.name)
            if group.source or group.no_version_data:
                return True
        return False

    def kev_at_stake(self, query: ProductQuery) -> list[VulnMatch]:
        """The KEV-listed CVEs of a product whose version is unknown (what is at stake)."""
        target, _ = self._target(replace(query, version=""))
        if target is None:
            return []
        return self._kev_of_product(replace(target, version=None))

    def _kev_of_product(self, target: Target) -> list[VulnMatch]:
        """KEV-listed CVEs of a product whose version is unknown, as "possible" hints."""
        out: dict[str, VulnMatch] = {}
        for ident in sorted(target.software):
            group = self._group(ident, target.scheme.name)
            for cve in sorted(set(group.source) | group.no_version_data):
                kev, *_ = self._kev(cve)
                if kev and cve not in out:
                    out[cve] = self._compose(
                        cve,
                        ident,
                        "possible",
                        Confidence.LOW,
                        None,
                        None,
                        "firmware version unknown: cannot tell whether this applies",
                        self._info(cve),
                    )
        return sorted(out.values(), key=_order)


def _versioned(records: dict[str, int]) -> bool:
    """Whether some record can place a version in or out of a range: NVD, JVN or the
    snapshot. KEV entries alone name a product, not its affected versions."""
    return any(records[source] for source in ("nvd", "jvn", "snapshot"))


def _day(moment: str | None) -> str | None:
    """The date part of an ISO timestamp (the day a source was loaded)."""
    return moment[:10] if moment else None


def _info_from_row(row: sqlite3.Row) -> _CveInfo:
    added = row["nvd_kev_added"]
    return _CveInfo(
        cve=row["id"],
        description_en=row["description_en"] or "",
        cvss=row["cvss"],
        vuln_status=row["vuln_status"] or "",
        has_configurations=bool(row["configurations"]),
        nvd_kev_added=date.fromisoformat(added) if added else None,
    )


def _describe(hits: tuple[CpeMatch, ...], target: Target) -> str:
    parts: list[str] = []
    for hit in hits[:3]:
        bounds = []
        if hit.start_including:
            bounds.append(f">= {hit.start_including}")
        if hit.start_excluding:
            bounds.append(f"> {hit.start_excluding}")
        if hit.end_including:
            bounds.append(f"<= {hit.end_including}")
        if hit.end_excluding:
            bounds.append(f"< {hit.end_excluding}")
        c = hit.criteria
        label = f"{c.vendor}:{c.product}"
        if c.version not in (ANY, NA):
            label += f" {c.version}" + (f" {c.update}" if c.update not in (ANY, NA) else "")
        parts.append(label + (" " + " ".join(bounds) if bounds else ""))
    return "matches " + ", ".join(parts)


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    cut = text.find(". ")
    sentence = text if cut < 0 else text[: cut + 1]
    return sentence if len(sentence) <= 160 else sentence[:157] + "..."


_DISTRIBUTION = re.compile(r"debian|ubuntu|raspbian", re.IGNORECASE)
_STATUS_ORDER = {"affected": 0, "possible": 1, "no_version_data": 2}


def _order(m: VulnMatch) -> tuple[int, int, int, float, str]:
    return (_STATUS_ORDER[m.status], not m.kev, m.severity.rank, -(m.cvss or 0.0), m.cve)


def _better(new: VulnMatch, old: VulnMatch) -> bool:
    return _STATUS_ORDER[new.status] < _STATUS_ORDER[old.status]


def open_knowledge_base(path: Path | None = None) -> KnowledgeBase:
    """The active knowledge base; the shipped snapshot alone when none was built."""
    return KnowledgeBase(path if path is not None else default_path())
