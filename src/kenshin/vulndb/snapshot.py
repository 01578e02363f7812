"""kenshin's own vulnerability snapshot (``vulndb/data/snapshot.yaml``) and backport table.

The snapshot is written by us, dated, and shipped in the package: it gives meaningful
results offline and fills what the feeds lack (Japanese texts, fixes of CVEs that NVD
has not analysed yet, hotfix releases). Each entry becomes NVD-style configurations so
that one evaluator serves every source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml

from kenshin.vulndb.cpe import CPE
from kenshin.vulndb.model import CveTexts
from kenshin.vulndb.products import scheme_for
from kenshin.vulndb.records import Configuration, CpeMatch, Node, vulnerable_products
from kenshin.vulndb.versions import debian


@dataclass(frozen=True)
class SnapshotRange:
    product: tuple[str, str]
    start: str | None
    fixed: str | None
    last: str | None


@dataclass(frozen=True)
class SnapshotEntry(CveTexts):
    cvss: float | None
    kev: date | None
    ransomware: bool
    jvn_ids: tuple[str, ...]
    checked: tuple[str, ...]
    configurations: tuple[Configuration, ...]
    ranges: tuple[SnapshotRange, ...]
    any_version_products: frozenset[tuple[str, str]]

    @property
    def products(self) -> frozenset[tuple[str, str]]:
        found = {r.product for r in self.ranges} | set(self.any_version_products)
        return frozenset(found | vulnerable_products(self.configurations).keys())


@dataclass(frozen=True)
class Snapshot:
    date: str
    entries: dict[str, SnapshotEntry]


def _none(value: str | None) -> str | None:
    return None if value in (None, "", "null", "~") else value


def _line_end(line: str) -> str:
    parts = line.split(".")
    parts[-1] = str(int(parts[-1]) + 1)
    return ".".join(parts)


def _software(product: str) -> CPE:
    vendor, _, name = product.partition(":")
    part = "o" if name.endswith("_firmware") or name in ("fortios", "pan-os", "sonicos") else "a"
    return CPE(part=part, vendor=vendor, product=name)


def _entry(raw: dict[str, Any]) -> SnapshotEntry:
    configurations: list[Configuration] = []
    ranges: list[SnapshotRange] = []
    any_version: set[tuple[str, str]] = set()
    for item in raw.get("affected", []):
        product = item["product"]
        software = _software(product)
        ident = (software.vendor, software.product)
        matches: list[CpeMatch] = []
        if _none(item.get("any_version")) == "true":
            any_version.add(ident)
            matches.append(CpeMatch(criteria=software))
        elif _none(item.get("hotfix")) == "true":
            any_version.add(ident)  # fixed by a hotfix the version string does not show
        for version in item.get("versions", []) or []:
            exact = CPE(
                part=software.part,
                vendor=software.vendor,
                product=software.product,
                version=version,
            )
            matches.append(CpeMatch(criteria=exact))
        for r in item.get("ranges", []) or []:
            line = _none(r.get("line"))
            start = line or _none(r.get("from"))
            fixed = _none(r.get("fixed"))
            last = _none(r.get("last"))
            end_excluding = _line_end(line) if line else fixed
            matches.append(
                CpeMatch(
                    criteria=software,
                    start_including=start,
                    end_excluding=end_excluding,
                    end_including=last,
                )
            )
            ranges.append(SnapshotRange(ident, start, fixed, last))
        nodes = [Node(operator="OR", matches=tuple(matches))]
        hardware = item.get("hardware") or []
        if hardware:
            platform = tuple(
                CpeMatch(
                    criteria=CPE(
                        part="h",
                        vendor=h.partition(":")[0],
                        product=h.partition(":")[2],
                        version="-",
                    ),
                    vulnerable=False,
                )
                for h in hardware
            )
            nodes.append(Node(operator="OR", matches=platform))
        configurations.append(
            Configuration(nodes=tuple(nodes), operator="AND" if hardware else "OR")
        )
    kev = _none(raw.get("kev"))
    cvss = _none(raw.get("cvss"))
    return SnapshotEntry(
        cve=raw["cve"],
        cvss=float(cvss) if cvss else None,
        kev=date.fromisoformat(kev) if kev else None,
        ransomware=raw.get("ransomware") == "true",
        jvn_ids=tuple(raw.get("jvn", []) or []),
        checked=tuple(raw.get("checked", []) or []),
        title_ja=raw["title_ja"],
        title_en=raw["title_en"],
        description_ja=raw["description_ja"],
        description_en=raw["description_en"],
        advice_ja=raw["advice_ja"],
        advice_en=raw["advice_en"],
        configurations=tuple(configurations),
        ranges=tuple(ranges),
        any_version_products=frozenset(any_version),
    )


@cache
def load_snapshot() -> Snapshot:
    """The shipped snapshot (every value read as text: versions like 9.10 stay 9.10)."""
    text = (resources.files("kenshin.vulndb") / "data" / "snapshot.yaml").read_text("utf-8")
    data = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds only str/list/dict
    entries = {e["cve"]: _entry(e) for e in data["entries"]}
    return Snapshot(date=data["date"], entries=entries)


def fixed_in(entry: SnapshotEntry, product: tuple[str, str], version_key_in: Any) -> str | None:
    """The first fixed release of the range that holds the version (same branch)."""
    scheme = scheme_for(*product)
    key = version_key_in
    for r in entry.ranges:
        if r.product != product or r.fixed is None:
            continue
        if r.start is not None and key < scheme.key(r.start):
            continue
        if key >= scheme.key(r.fixed):
            continue
        return r.fixed
    return None


def last_affected(entry: SnapshotEntry, product: tuple[str, str], key: Any) -> str | None:
    scheme = scheme_for(*product)
    for r in entry.ranges:
        if r.product != product or r.last is None:
            continue
        if r.start is not None and key < scheme.key(r.start):
            continue
        if key > scheme.key(r.last):
            continue
        return r.last
    return None


@dataclass(frozen=True)
class KevFact:
    """One CISA KEV entry of an edge product line (``vulndb/data/kev_edge.yaml``)."""

    cve: str
    date_added: date
    ransomware: bool
    line: str


@dataclass(frozen=True)
class KevFacts:
    catalog_version: str
    date_released: str
    entries: dict[str, KevFact]

    def of_line(self, line: str) -> tuple[KevFact, ...]:
        return tuple(f for f in self.entries.values() if f.line == line)


@cache
def load_kev_facts() -> KevFacts:
    """The shipped KEV facts (written by scripts/kev_edge_facts.py from CISA's catalogue)."""
    text = (resources.files("kenshin.vulndb") / "data" / "kev_edge.yaml").read_text("utf-8")
    data = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - strings only
    entries = {
        e["cve"]: KevFact(
            e["cve"], date.fromisoformat(e["date_added"]), e["ransomware"] == "true", e["line"]
        )
        for e in data["entries"]
    }
    return KevFacts(data["catalog_version"], data["date_released"], entries)


@dataclass(frozen=True)
class BackportFix:
    cve: str
    product: tuple[str, str]
    distribution: str
    release: str
    fixed: str


@cache
def load_backports() -> tuple[BackportFix, ...]:
    text = (resources.files("kenshin.vulndb") / "data" / "backports.yaml").read_text("utf-8")
    data = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - strings only
    fixes: list[BackportFix] = []
    for item in data["fixes"]:
        vendor, _, product = item["product"].partition(":")
        for d in item["distributions"]:
            fixes.append(
                BackportFix(
                    item["cve"], (vendor, product), d["distribution"], d["release"], d["fixed"]
                )
            )
    return tuple(fixes)


def backport_verdict(cve: str, product: tuple[str, str], banner: str) -> tuple[str, str] | None:
    """For a distribution banner: ("fixed"|"vulnerable"|"unknown", evidence), or None.

    None means the banner names no distribution package (upstream build).
    """
    package = debian.distribution_package(banner)
    if package is None:
        return None
    distribution, version = package
    upstream = debian.split(version)[1]
    for fix in load_backports():
        if fix.cve != cve or fix.product != product or fix.distribution != distribution:
            continue
        if debian.split(fix.fixed)[1] != upstream:
            continue
        fixed = fix.fixed.split(":", 1)[-1]
        if debian.compare(version, fixed) >= 0:
            return "fixed", f"{distribution} {fix.release} package {version} >= {fixed}"
        return "vulnerable", f"{distribution} {fix.release} package {version} < {fixed}"
    return "unknown", f"{distribution} package {version}: no distribution fix data"
