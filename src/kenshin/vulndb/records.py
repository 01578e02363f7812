"""The knowledge base's record types and the NVD CVE API 2.0 record reader.

An NVD record (the ``cve`` object of an API 2.0 response) becomes a ``VulnRecord``.
The reader is deliberately forgiving about what real records omit (``configurations``
while a CVE awaits analysis, ``cveTags``, reference ``tags``, NVD's own CVSS) and
strict about what it needs (an ``id`` that looks like a CVE id).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from datetime import date
from typing import Any

from kenshin.domain import Severity
from kenshin.net import cpe as cpe_text
from kenshin.vulndb.cpe import CPE

CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")


@dataclass(frozen=True, slots=True)
class CpeMatch:
    """One ``cpeMatch`` entry: a CPE pattern with an optional version range."""

    criteria: CPE
    vulnerable: bool = True
    start_including: str | None = None
    start_excluding: str | None = None
    end_including: str | None = None
    end_excluding: str | None = None

    @property
    def has_range(self) -> bool:
        return any(
            (self.start_including, self.start_excluding, self.end_including, self.end_excluding)
        )


@dataclass(frozen=True, slots=True)
class Node:
    operator: str = "OR"
    negate: bool = False
    matches: tuple[CpeMatch, ...] = ()


@dataclass(frozen=True, slots=True)
class Configuration:
    """A configuration: its nodes combined by ``operator`` (``OR`` unless stated)."""

    nodes: tuple[Node, ...]
    operator: str = "OR"
    negate: bool = False


@dataclass(frozen=True, slots=True)
class VulnRecord:
    cve: str
    description_en: str = ""
    published: str = ""
    last_modified: str = ""
    vuln_status: str = ""
    cvss: float | None = None
    cvss_version: str = ""
    severity: str = ""
    configurations: tuple[Configuration, ...] | None = None
    nvd_kev_added: date | None = None
    nvd_kev_name: str = ""
    # lazy form (bulk import): NVD's configurations kept as JSON text, parsed when matched
    configurations_json: str | None = None
    vulnerable_products: tuple[tuple[str, str], ...] = ()

    @property
    def has_configurations(self) -> bool:
        return bool(self.configurations) or self.configurations_json is not None


def severity_for(cvss: float | None, fallback: Severity = Severity.MEDIUM) -> Severity:
    """The severity band of a CVSS v3 base score (FIRST's qualitative scale)."""
    if cvss is None:
        return fallback
    if cvss >= 9.0:
        return Severity.CRITICAL
    if cvss >= 7.0:
        return Severity.HIGH
    if cvss >= 4.0:
        return Severity.MEDIUM
    if cvss > 0:
        return Severity.LOW
    return Severity.INFO


# CVSS versions, most wanted first: the v3 scale the severity bands are written for, then
# v4.0, then v2. Every source's score is chosen by this one order (NVD, JVN).
CVSS_PREFERENCE = ("3.1", "3.0", "4.0", "2.0")
_NVD_METRIC = {
    "3.1": "cvssMetricV31",
    "3.0": "cvssMetricV30",
    "4.0": "cvssMetricV40",
    "2.0": "cvssMetricV2",
}


def cvss_rank(version: str) -> int:
    """Where a CVSS version stands in ``CVSS_PREFERENCE`` (unknown versions last)."""
    wanted = version.strip()
    return CVSS_PREFERENCE.index(wanted) if wanted in CVSS_PREFERENCE else len(CVSS_PREFERENCE)


def _best_cvss(metrics: dict[str, Any]) -> tuple[float | None, str]:
    """NVD's own (Primary) score first, in ``CVSS_PREFERENCE`` order, then any source."""
    for wanted_type in ("Primary", "Secondary"):
        for version in CVSS_PREFERENCE:
            for metric in metrics.get(_NVD_METRIC[version], []) or []:
                if metric.get("type") != wanted_type:
                    continue
                data = metric.get("cvssData") or {}
                score = data.get("baseScore")
                if isinstance(score, int | float):
                    return float(score), str(data.get("version", ""))
    return None, ""


def iso_day(value: Any) -> date | None:
    """The day an ISO date or timestamp names (``2024-01-10T00:00:00``); None if absent
    or not a date. Every feed's dates (NVD ``cisaExploitAdd``, KEV ``dateAdded``) go here."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_match(raw: dict[str, Any]) -> CpeMatch:
    return CpeMatch(
        criteria=CPE.parse(str(raw["criteria"])),
        vulnerable=bool(raw.get("vulnerable", True)),
        start_including=_shared(raw.get("versionStartIncluding")),
        start_excluding=_shared(raw.get("versionStartExcluding")),
        end_including=_shared(raw.get("versionEndIncluding")),
        end_excluding=_shared(raw.get("versionEndExcluding")),
    )


def _shared(bound: Any) -> Any:
    """One copy of each version string: a product's records repeat the same bounds."""
    return sys.intern(bound) if type(bound) is str else bound


def parse_configurations(raw: list[dict[str, Any]]) -> tuple[Configuration, ...]:
    configurations: list[Configuration] = []
    for config in raw:
        nodes = tuple(
            Node(
                operator=str(node.get("operator", "OR")).upper(),
                negate=bool(node.get("negate", False)),
                matches=tuple(parse_match(m) for m in node.get("cpeMatch", []) or []),
            )
            for node in config.get("nodes", []) or []
        )
        configurations.append(
            Configuration(
                nodes=nodes,
                operator=str(config.get("operator", "OR")).upper(),
                negate=bool(config.get("negate", False)),
            )
        )
    return tuple(configurations)


def vulnerable_products(configurations: tuple[Configuration, ...]) -> dict[tuple[str, str], None]:
    """Vendor/product of the entries marked vulnerable (not the platforms they run on),
    in first-seen order: the products a record is filed under."""
    found: dict[tuple[str, str], None] = {}
    for config in configurations:
        for node in config.nodes:
            for m in node.matches:
                if m.vulnerable:
                    found[(m.criteria.vendor, m.criteria.product)] = None
    return found


def english_description(descriptions: list[dict[str, Any]]) -> str:
    for item in descriptions or []:
        if item.get("lang") == "en":
            return str(item.get("value", ""))
    return str(descriptions[0].get("value", "")) if descriptions else ""


def _lazy_products(configurations: list[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    """Vendor/product of the vulnerable entries, read without building CPE objects."""
    found: dict[tuple[str, str], None] = {}
    for config in configurations:
        for node in config.get("nodes", []) or []:
            for m in node.get("cpeMatch", []) or []:
                criteria = str(m["criteria"])
                if not criteria.startswith("cpe:2.3:"):
                    raise ValueError(f"not a CPE 2.3 name: {criteria!r}")
                if not m.get("vulnerable", True):
                    continue
                _part, vendor, product, *_rest = cpe_text.parse_formatted(criteria)
                found[(vendor, product)] = None
    return tuple(found)


def parse_nvd_record(raw: dict[str, Any], *, lazy: bool = False) -> VulnRecord:
    """A ``VulnRecord`` from an NVD API 2.0 ``cve`` object (or a whole vulnerability item).

    ``lazy`` keeps the configurations as JSON text (checked, not built): the bulk import
    stores them that way and the matcher parses a product's records when first asked.
    """
    if "cve" in raw and isinstance(raw["cve"], dict):
        raw = raw["cve"]
    cve = str(raw.get("id", ""))
    if not CVE_ID.match(cve):
        raise ValueError(f"not a CVE record: id {cve!r}")
    cvss, version = _best_cvss(raw.get("metrics") or {})
    configurations = raw.get("configurations")
    lazy_json: str | None = None
    lazy_products: tuple[tuple[str, str], ...] = ()
    if lazy and configurations:
        lazy_products = _lazy_products(configurations)
        lazy_json = json.dumps(configurations, separators=(",", ":"))
        configurations = None
    return VulnRecord(
        cve=cve,
        description_en=english_description(raw.get("descriptions") or []),
        published=str(raw.get("published", "")),
        last_modified=str(raw.get("lastModified", "")),
        vuln_status=str(raw.get("vulnStatus", "")),
        cvss=cvss,
        cvss_version=version,
        severity=severity_for(cvss).value if cvss is not None else "",
        configurations=parse_configurations(configurations) if configurations else None,
        nvd_kev_added=iso_day(raw.get("cisaExploitAdd")),
        nvd_kev_name=str(raw.get("cisaVulnerabilityName", "")),
        configurations_json=lazy_json,
        vulnerable_products=lazy_products,
    )


def configurations_to_json(configurations: tuple[Configuration, ...] | None) -> str | None:
    """A compact JSON form for the store (NVD's own field names, shortened)."""
    if configurations is None:
        return None
    out = []
    for config in configurations:
        nodes = []
        for node in config.nodes:
            matches = []
            for m in node.matches:
                item: dict[str, Any] = {"c": m.criteria.bind()}
                if not m.vulnerable:
                    item["v"] = 0
                for short, value in (
                    ("si", m.start_including),
                    ("se", m.start_excluding),
                    ("ei", m.end_including),
                    ("ee", m.end_excluding),
                ):
                    if value:
                        item[short] = value
                matches.append(item)
            nodes.append({"o": node.operator, "n": int(node.negate), "m": matches})
        out.append({"o": config.operator, "n": int(config.negate), "d": nodes})
    return json.dumps(out, separators=(",", ":"))


def configurations_from_json(text: str | None) -> tuple[Configuration, ...] | None:
    """Configurations from the store: NVD's own JSON, or our short form."""
    if text is None:
        return None
    data = json.loads(text)
    if data and "nodes" in data[0]:
        return parse_configurations(data)
    configurations = []
    for config in data:
        nodes = tuple(
            Node(
                operator=node["o"],
                negate=bool(node["n"]),
                matches=tuple(
                    CpeMatch(
                        criteria=CPE.parse(m["c"]),
                        vulnerable=bool(m.get("v", 1)),
                        start_including=_shared(m.get("si")),
                        start_excluding=_shared(m.get("se")),
                        end_including=_shared(m.get("ei")),
                        end_excluding=_shared(m.get("ee")),
                    )
                    for m in node["m"]
                ),
            )
            for node in config["d"]
        )
        configurations.append(
            Configuration(nodes=nodes, operator=config["o"], negate=bool(config["n"]))
        )
    return tuple(configurations)
