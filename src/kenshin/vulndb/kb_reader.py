"""Reading the knowledge base's records: the built SQLite file and the shipped snapshot.

``RecordReader`` owns the connection and everything read from it once (a product's records
by CVE, a CVE's NVD facts, its KEV and JVN entries), memoised because devices repeat
products. Matching (``kb_match``) and the public answers (``kb``) build on it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from threading import Lock

from kenshin.config import data_dir
from kenshin.vulndb.cpe import ANY, CPE, CPEError
from kenshin.vulndb.evaluate import Evaluation, Target
from kenshin.vulndb.matcher import ProductIndex, StabbingTree
from kenshin.vulndb.model import (
    SourceInfo,
    VulnMatch,
)
from kenshin.vulndb.products import (
    siblings,
)
from kenshin.vulndb.records import (
    Configuration,
    CpeMatch,
    Node,
    configurations_from_json,
)
from kenshin.vulndb.snapshot import (
    Snapshot,
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
class CveInfo:
    cve: str
    description_en: str
    cvss: float | None
    vuln_status: str
    has_configurations: bool
    nvd_kev_added: date | None


@dataclass(frozen=True)
class Prepared:
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
class RecordGroup:
    index: ProductIndex | None  # None: let go once prepared, read again when needed
    source: dict[str, str]
    no_version_data: set[str]
    prepared: dict[tuple[object, ...], Prepared] = field(default_factory=dict)


class RecordReader:
    """The records of one knowledge base file (or the snapshot alone), read once each."""

    def __init__(self, path: Path | None, snapshot: Snapshot | None = None) -> None:
        self.path = path if path is not None and path.exists() else None
        self.requested_path = path
        self.snapshot = snapshot or load_snapshot()
        self._conn: sqlite3.Connection | None = (
            connect(self.path, readonly=True) if self.path else None
        )
        self._groups: dict[Ident, RecordGroup] = {}
        self._lock = Lock()
        self.unreadable: set[str] = set()
        self._info_memo: dict[str, CveInfo | None] = {}
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

    def _group(self, ident: Ident, scheme_name: str) -> RecordGroup:
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

    def _build_group(self, ident: Ident) -> RecordGroup:
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
        return RecordGroup(index=index, source=source, no_version_data=unanalysed)

    def _index(self, ident: Ident, group: RecordGroup) -> ProductIndex:
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

    def _info(self, cve: str) -> CveInfo | None:
        if cve in self._info_memo:
            return self._info_memo[cve]
        info = self._read_info(cve)
        self._info_memo[cve] = info
        return info

    def _read_info(self, cve: str) -> CveInfo | None:
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


def _day(moment: str | None) -> str | None:
    """The date part of an ISO timestamp (the day a source was loaded)."""
    return moment[:10] if moment else None


def _info_from_row(row: sqlite3.Row) -> CveInfo:
    added = row["nvd_kev_added"]
    return CveInfo(
        cve=row["id"],
        description_en=row["description_en"] or "",
        cvss=row["cvss"],
        vuln_status=row["vuln_status"] or "",
        has_configurations=bool(row["configurations"]),
        nvd_kev_added=date.fromisoformat(added) if added else None,
    )
