"""The knowledge base file: its own SQLite database, built aside and swapped in atomically.

A build writes ``<kb>.building-<pid>`` (starting from a copy of the current file for an
incremental update), checks it, and ``os.replace``-s it over the old file. Until that
moment readers keep the previous file; a failed or killed build leaves only the
temporary file behind, which the next build removes.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kenshin.vulndb.products import software_of
from kenshin.vulndb.records import VulnRecord, configurations_to_json, vulnerable_products

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cve (
    id TEXT PRIMARY KEY, published TEXT, last_modified TEXT, vuln_status TEXT,
    description_en TEXT, cvss REAL, cvss_version TEXT, configurations TEXT,
    nvd_kev_added TEXT, nvd_kev_name TEXT
);
CREATE TABLE IF NOT EXISTS cve_product (
    vendor TEXT NOT NULL, product TEXT NOT NULL, cve TEXT NOT NULL,
    PRIMARY KEY (vendor, product, cve)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kev (
    cve TEXT PRIMARY KEY, vendor_project TEXT, product TEXT, name TEXT,
    date_added TEXT, due_date TEXT, ransomware INTEGER, required_action TEXT, notes TEXT
);
CREATE TABLE IF NOT EXISTS kev_product (
    vendor TEXT NOT NULL, product TEXT NOT NULL, cve TEXT NOT NULL,
    PRIMARY KEY (vendor, product, cve)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS jvn (
    id TEXT PRIMARY KEY, title_ja TEXT, overview_ja TEXT, cvss REAL, published TEXT,
    last_modified TEXT, cves TEXT, affected TEXT
);
CREATE TABLE IF NOT EXISTS jvn_cve (
    cve TEXT NOT NULL, jvn_id TEXT NOT NULL, PRIMARY KEY (cve, jvn_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS jvn_product (
    vendor TEXT NOT NULL, product TEXT NOT NULL, jvn_id TEXT NOT NULL,
    PRIMARY KEY (vendor, product, jvn_id)
) WITHOUT ROWID;
"""
# Made after a first build's bulk insert (one sorted pass instead of one insert per row).
_INDEXES = "CREATE INDEX IF NOT EXISTS cve_product_cve ON cve_product (cve);"


@dataclass(frozen=True)
class KevEntry:
    cve: str
    vendor_project: str
    product: str
    name: str
    date_added: date | None
    due_date: date | None
    ransomware: bool
    required_action: str = ""
    notes: str = ""


@dataclass(frozen=True)
class JvnAffected:
    vendor: str
    product: str
    cpe: str
    text: str
    start_including: str | None = None
    end_including: str | None = None
    end_excluding: str | None = None
    exact: str | None = None
    parsed: bool = False
    cves: tuple[str, ...] = ()


@dataclass(frozen=True)
class JvnEntry:
    id: str
    title_ja: str
    overview_ja: str
    cves: tuple[str, ...]
    cvss: float | None
    published: str
    last_modified: str
    affected: tuple[JvnAffected, ...]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(path, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


class KBWriter:
    """Writes one new knowledge-base file; ``commit`` swaps it in, ``abort`` throws it away."""

    def __init__(self, target: Path, *, incremental: bool) -> None:
        self.target = target
        self.temp = target.with_name(f"{target.name}.building-{os.getpid()}")
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in target.parent.glob(f"{target.name}.building-*"):
            stale.unlink(missing_ok=True)
        self.conn = sqlite3.connect(self.temp)
        # a first build writes into empty tables: nothing to delete, indexes made at the end
        self.fresh = not (incremental and target.exists())
        self._written: set[str] = set()
        if not self.fresh:
            source = sqlite3.connect(f"{target.resolve().as_uri()}?mode=ro", uri=True)
            try:
                source.backup(self.conn)
            finally:
                source.close()
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-65536")  # 64 MiB while building
        self.conn.execute("PRAGMA temp_store=MEMORY")
        self.conn.executescript(_SCHEMA)
        if not self.fresh:
            self.conn.executescript(_INDEXES)
        self.counts: dict[str, int] = {"nvd": 0, "kev": 0, "jvn": 0}

    # ------------------------------------------------------------------ writes
    def add_cves(self, records: Iterable[VulnRecord]) -> int:
        rows: list[tuple[Any, ...]] = []
        products: list[tuple[str, str, str]] = []
        ids: list[tuple[str]] = []
        count = 0
        for record in records:
            count += 1
            if record.cve in self._written:  # listed twice: the later one wins whole
                self._flush_cves(rows, products, ids)
                self.conn.execute("DELETE FROM cve_product WHERE cve = ?", (record.cve,))
            self._written.add(record.cve)
            rows.append(
                (
                    record.cve,
                    record.published,
                    record.last_modified,
                    record.vuln_status,
                    record.description_en,
                    record.cvss,
                    record.cvss_version,
                    record.configurations_json or configurations_to_json(record.configurations),
                    record.nvd_kev_added.isoformat() if record.nvd_kev_added else None,
                    record.nvd_kev_name,
                )
            )
            ids.append((record.cve,))
            filed = dict.fromkeys(record.vulnerable_products)
            filed |= vulnerable_products(record.configurations or ())
            products.extend((*ident, record.cve) for ident in filed)
            if len(rows) >= 5000:
                self._flush_cves(rows, products, ids)
        self._flush_cves(rows, products, ids)
        self.counts["nvd"] += count
        return count

    def _flush_cves(
        self,
        rows: list[tuple[Any, ...]],
        products: list[tuple[str, str, str]],
        ids: list[tuple[str]],
    ) -> None:
        if not rows:
            return
        if not self.fresh:
            self.conn.executemany("DELETE FROM cve_product WHERE cve = ?", ids)
        self.conn.executemany("INSERT OR REPLACE INTO cve VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        products.sort()  # in key order the table's B-tree fills page by page
        self.conn.executemany("INSERT OR IGNORE INTO cve_product VALUES (?,?,?)", products)
        rows.clear()
        products.clear()
        ids.clear()

    def add_kev(self, entries: Iterable[KevEntry], catalog_version: str) -> int:
        count = 0
        self.conn.execute("DELETE FROM kev")
        self.conn.execute("DELETE FROM kev_product")
        for e in entries:
            count += 1
            self.conn.execute(
                "INSERT OR REPLACE INTO kev VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    e.cve,
                    e.vendor_project,
                    e.product,
                    e.name,
                    e.date_added.isoformat() if e.date_added else None,
                    e.due_date.isoformat() if e.due_date else None,
                    int(e.ransomware),
                    e.required_action,
                    e.notes,
                ),
            )
            for vendor, product in software_of(e.vendor_project, e.product):
                self.conn.execute(
                    "INSERT OR IGNORE INTO kev_product VALUES (?,?,?)", (vendor, product, e.cve)
                )
        self.counts["kev"] = count
        self.set_meta("kev_catalog_version", catalog_version)
        return count

    def add_jvn(self, entries: Iterable[JvnEntry]) -> int:
        count = 0
        for e in entries:
            count += 1
            affected = [a.__dict__ for a in e.affected]
            self.conn.execute(
                "INSERT OR REPLACE INTO jvn VALUES (?,?,?,?,?,?,?,?)",
                (
                    e.id,
                    e.title_ja,
                    e.overview_ja,
                    e.cvss,
                    e.published,
                    e.last_modified,
                    json.dumps(list(e.cves)),
                    json.dumps(affected, ensure_ascii=False),
                ),
            )
            self.conn.execute("DELETE FROM jvn_cve WHERE jvn_id = ?", (e.id,))
            self.conn.execute("DELETE FROM jvn_product WHERE jvn_id = ?", (e.id,))
            for cve in e.cves:
                self.conn.execute("INSERT OR IGNORE INTO jvn_cve VALUES (?,?)", (cve, e.id))
            for a in e.affected:
                self.conn.execute(
                    "INSERT OR IGNORE INTO jvn_product VALUES (?,?,?)", (a.vendor, a.product, e.id)
                )
        self.counts["jvn"] += count
        return count

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))

    # ------------------------------------------------------------------ finish
    def commit(self) -> Path:
        """Check the new file and swap it in atomically."""
        self.set_meta("schema", SCHEMA_VERSION)
        self.set_meta("built_at", now_iso())
        total = self.conn.execute("SELECT count(*) FROM cve").fetchone()[0]
        self.set_meta("cve_count", str(total))
        self.conn.executescript(_INDEXES)
        self.conn.commit()
        check = self.conn.execute("PRAGMA quick_check").fetchone()[0]
        self.conn.close()
        if check != "ok":
            self.temp.unlink(missing_ok=True)
            raise sqlite3.DatabaseError(f"new knowledge base failed its check: {check}")
        os.replace(self.temp, self.target)
        return self.target

    def abort(self) -> None:
        with suppress(sqlite3.Error):
            self.conn.close()
        self.temp.unlink(missing_ok=True)


@contextmanager
def building(target: Path, *, incremental: bool) -> Iterator[KBWriter]:
    """Build a new knowledge base; on any error the old file stays in place."""
    writer = KBWriter(target, incremental=incremental)
    try:
        yield writer
    except BaseException:
        writer.abort()
        raise
    writer.commit()
