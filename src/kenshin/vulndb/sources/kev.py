"""CISA Known Exploited Vulnerabilities catalogue: JSON (or CSV) from a URL or a file.

Fields used: ``cveID``, ``vendorProject``, ``product``, ``vulnerabilityName``,
``dateAdded``, ``dueDate``, ``knownRansomwareCampaignUse`` ("Known"/"Unknown"),
``requiredAction``, ``notes``; the catalogue's ``catalogVersion``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kenshin.vulndb.model import VulnDBError
from kenshin.vulndb.records import iso_day
from kenshin.vulndb.sources._base import HttpFetcher, RateLimiter, Sink, SourceResult, VulnSource
from kenshin.vulndb.store import KevEntry

DEFAULT_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"


def _entry(item: dict[str, Any]) -> KevEntry:
    return KevEntry(
        cve=str(item["cveID"]).strip(),
        vendor_project=str(item.get("vendorProject", "")),
        product=str(item.get("product", "")),
        name=str(item.get("vulnerabilityName", "")),
        date_added=iso_day(item.get("dateAdded")),
        due_date=iso_day(item.get("dueDate")),
        ransomware=str(item.get("knownRansomwareCampaignUse", "")).strip().lower() == "known",
        required_action=str(item.get("requiredAction", "")),
        notes=str(item.get("notes", "")),
    )


def parse_json(text: str, what: str = "KEV JSON") -> tuple[list[KevEntry], str]:
    try:
        data = json.loads(text)
        items = data["vulnerabilities"]
        return [_entry(i) for i in items], str(data.get("catalogVersion", ""))
    except (ValueError, KeyError, TypeError) as exc:
        raise VulnDBError("vulndb.malformed", what=what, reason=str(exc)) from exc


def parse_csv(text: str, what: str = "KEV CSV") -> tuple[list[KevEntry], str]:
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
        if rows and "cveID" not in rows[0]:
            raise KeyError("cveID")
        entries = [_entry(r) for r in rows]
    except (csv.Error, KeyError) as exc:
        raise VulnDBError("vulndb.malformed", what=what, reason=str(exc)) from exc
    latest = max((e.date_added for e in entries if e.date_added), default=None)
    return entries, f"csv {latest.isoformat()}" if latest else "csv"


@dataclass
class KevFileSource(VulnSource):
    path: Path
    name: str = "kev"

    def load(self, sink: Sink) -> SourceResult:
        text = self.path.read_text("utf-8")
        parser = parse_csv if self.path.suffix.lower() == ".csv" else parse_json
        entries, version = parser(text, str(self.path))
        count = sink.add_kev(entries, version)
        return SourceResult(self.name, count, f"catalogue {version}")


@dataclass
class KevUrlSource(VulnSource):
    url: str = DEFAULT_URL
    fetcher: HttpFetcher | None = None
    name: str = "kev"

    def load(self, sink: Sink) -> SourceResult:
        fetcher = self.fetcher or HttpFetcher(RateLimiter(limit=5, period=30.0))
        response = fetcher.get(self.url)
        entries, version = parse_json(response.text, self.url)
        count = sink.add_kev(entries, version)
        return SourceResult(self.name, count, f"catalogue {version}")
