"""JVN iPedia through the MyJVN API: VULDEF XML (API 3.x "hnd") and JSON (4.0 "oka").

``getVulnOverviewList`` (RSS 1.0 with the ``sec:`` module, paged by ``startItem`` /
``maxCountItem`` <= 50, ``status:Status/@totalRes``) lists JVNDB ids;
``getVulnDetailInfo`` (up to 10 ids joined by ``+``) returns VULDEF documents.
All XML goes through ``defusedxml`` (entity expansion, external entities and DTDs are
refused). JVN's affected versions are Japanese free text; ``parse_version_text``
understands the common forms and keeps the rest as text at lower confidence.
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from kenshin.vulndb.cpe import CPE, CPEError
from kenshin.vulndb.model import VulnDBError
from kenshin.vulndb.products import software_of
from kenshin.vulndb.records import cvss_rank
from kenshin.vulndb.sources._base import HttpFetcher, RateLimiter, Sink, SourceResult, VulnSource
from kenshin.vulndb.store import JvnAffected, JvnEntry

DEFAULT_URL = "https://jvndb.jvn.jp/myjvn"
NS = {
    "v": "http://jvn.jp/vuldef/",
    "status": "http://jvndb.jvn.jp/myjvn/Status",
    "sec": "http://jvn.jp/rss/mod_sec/3.0/",
    "rss": "http://purl.org/rss/1.0/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}
CVE_RE = re.compile(r"CVE-\d{4}-\d{4,}")

# ----------------------------------------------------------------- version text
_VERSION = (
    r"(?:v(?:er)?\.?\s*|rev\.?\s*)?"
    r"(\d+(?:\.\d+)*(?:\s*\(build\s*\d+\))?(?:\s*r\s*\d+(?:\.\d+)*)?[a-z]?)"
)
_NOISE = re.compile(
    r"ファームウェア|バージョン|ソフトウェア|の?全て|全バージョン|firmware|version|のもの|系|（[^）]*）|\([^)]*cve[^)]*\)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ParsedVersionText:
    start_including: str | None = None
    end_including: str | None = None
    end_excluding: str | None = None
    exact: str | None = None
    parsed: bool = False
    leftover: str = ""
    cves: tuple[str, ...] = ()


def _clean_version(raw: str) -> str:
    text = re.sub(r"\s*\(build\s*(\d+)\)", r".\1", raw, flags=re.IGNORECASE)
    return re.sub(r"\s+", "", text)


# Each wording of a range, and the bounds its version numbers give, in order.
_BOUND_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (rf"{_VERSION}\s*から\s*{_VERSION}\s*まで", ("start_including", "end_including")),
    (rf"{_VERSION}\s*(?:および|及び|ならびに)?\s*(?:それ)?以前", ("end_including",)),
    (rf"{_VERSION}\s*(?:未満|より前)", ("end_excluding",)),
    (rf"{_VERSION}\s*(?:以降|以上)", ("start_including",)),
)


def parse_version_text(text: str) -> ParsedVersionText:
    """Read 「X およびそれ以前」「X 未満」「X より前」「X から Y まで」「X 以降」 or an exact X."""
    original = unicodedata.normalize("NFKC", text).strip()
    cves = tuple(CVE_RE.findall(original))
    body = re.sub(r"[(（][^)）]*CVE-[^)）]*[)）]", "", original)
    lowered = body.lower()
    for pattern, bounds in _BOUND_PATTERNS:
        match = re.search(pattern, lowered)
        if match is None:
            continue
        leftover = (lowered[: match.start()] + lowered[match.end() :]).strip()
        leftover = _NOISE.sub("", leftover).strip(" 、,.:：-の")
        found = dict(zip(bounds, map(_clean_version, match.groups()), strict=True))
        return ParsedVersionText(
            start_including=found.get("start_including"),
            end_including=found.get("end_including"),
            end_excluding=found.get("end_excluding"),
            parsed=True,
            leftover=leftover,
            cves=cves,
        )
    exact = re.fullmatch(rf"\s*{_VERSION}\s*", lowered)
    if exact is not None:
        return ParsedVersionText(exact=_clean_version(exact.group(1)), parsed=True, cves=cves)
    return ParsedVersionText(parsed=False, leftover=original, cves=cves)


# ----------------------------------------------------------------- XML
def _xml(text: bytes | str, what: str) -> Element:
    try:
        root: Element = SafeET.fromstring(text)
        return root
    except DefusedXmlException as exc:
        raise VulnDBError("vulndb.unsafe_xml", what=what) from exc
    except ParseError as exc:
        raise VulnDBError("vulndb.malformed", what=what, reason=str(exc)) from exc


def _status(root: Element, what: str) -> dict[str, str]:
    status = root.find(".//status:Status", NS)
    if status is None:
        return {}
    attrs = dict(status.attrib)
    if attrs.get("retCd", "0").strip() not in ("0", ""):
        reason = f"{attrs.get('errCd', '')} {attrs.get('errMsg', '')}".strip()
        raise VulnDBError("vulndb.malformed", what=what, reason=reason or "MyJVN error")
    return attrs


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _best_cvss(nodes: list[Element]) -> float | None:
    """The base score of the most wanted CVSS version (the order NVD's reader uses too)."""
    scores: list[tuple[int, float]] = []
    for node in nodes:
        with contextlib.suppress(ValueError):
            scores.append(
                (cvss_rank(node.get("version", "")), float(_text(node.find("v:Base", NS))))
            )
    return min(scores, key=lambda s: s[0])[1] if scores else None


def _names(cpe_text: str, vendor: str, product: str) -> tuple[tuple[str, str], ...]:
    """The CPE vendor:product names an affected product is filed under.

    Its CPE when JVN gives one; else JVN's own (often Japanese) names read as a KEV
    entry's are (``products.software_of``: ``日本電気`` ``Aterm WG2600HS ファームウェア``
    is ``nec:aterm_wg2600hs_firmware``), so a query finds it; else the names as written.
    """
    try:
        cpe = CPE.parse(cpe_text) if cpe_text else None
    except CPEError:
        cpe = None
    if cpe is not None:
        return ((cpe.vendor, cpe.product),)
    filed = tuple(sorted(i for i in software_of(vendor, product) if all(i)))
    return filed or ((vendor, product),)


def _affected_item(item: Element, entry_cves: tuple[str, ...]) -> list[JvnAffected]:
    cpe_text = _text(item.find("v:Cpe", NS))
    names = _names(cpe_text, _text(item.find("v:Name", NS)), _text(item.find("v:ProductName", NS)))
    out: list[JvnAffected] = []
    texts = [_text(v) for v in item.findall("v:VersionNumber", NS)]
    for vendor, product in names:
        for text in [t for t in texts if t] or [""]:
            parsed = parse_version_text(text) if text else ParsedVersionText()
            out.append(
                JvnAffected(
                    vendor=vendor,
                    product=product,
                    cpe=cpe_text,
                    text=text,
                    start_including=parsed.start_including,
                    end_including=parsed.end_including,
                    end_excluding=parsed.end_excluding,
                    exact=parsed.exact,
                    parsed=parsed.parsed and not parsed.leftover,
                    cves=tuple(c for c in parsed.cves if c in entry_cves) or (),
                )
            )
    return out


def parse_vuldef(text: bytes | str, what: str = "VULDEF") -> list[JvnEntry]:
    """JVN entries from a getVulnDetailInfo response or a JVNDB detail feed."""
    root = _xml(text, what)
    _status(root, what)
    entries: list[JvnEntry] = []
    for info in root.findall(".//v:Vulinfo", NS):
        vid = _text(info.find("v:VulinfoID", NS))
        data = info.find("v:VulinfoData", NS)
        if not vid or data is None:
            continue
        cves: list[str] = []
        for related in data.findall("v:Related/v:RelatedItem", NS):
            ident = _text(related.find("v:VulinfoID", NS))
            if CVE_RE.fullmatch(ident) and ident not in cves:
                cves.append(ident)
        cvss = _best_cvss(data.findall("v:Impact/v:Cvss", NS))
        affected: list[JvnAffected] = []
        for item in data.findall("v:Affected/v:AffectedItem", NS):
            affected.extend(_affected_item(item, tuple(cves)))
        overview = _text(data.find("v:VulinfoDescription/v:Overview", NS))
        entries.append(
            JvnEntry(
                id=vid,
                title_ja=_text(data.find("v:Title", NS)),
                overview_ja=re.sub(r"<[^>]+>", " ", overview).strip(),
                cves=tuple(cves),
                cvss=cvss,
                published=_text(data.find("v:DateFirstPublished", NS)),
                last_modified=_text(data.find("v:DateLastUpdated", NS)),
                affected=tuple(affected),
            )
        )
    return entries


def parse_overview(text: bytes | str, what: str = "overview") -> tuple[list[str], int]:
    """(JVNDB ids on this page, total results) from a getVulnOverviewList response."""
    root = _xml(text, what)
    status = _status(root, what)
    ids = [_text(i) for i in root.findall(".//rss:item/sec:identifier", NS)]
    total = int(status.get("totalRes", "0") or 0)
    return [i for i in ids if i], total


def parse_oka_detail(data: dict[str, Any]) -> JvnEntry:
    """A JVN entry from a MyJVN API 4.0 (``oka``) getVulnDetailInfo JSON document."""
    doc = data["document"]
    vid = str(doc["tracking"]["id"])
    notes = " ".join(
        n.get("text", "") for n in doc.get("notes", []) if n.get("category") == "description"
    )
    cves = tuple(dict.fromkeys(v["cve"] for v in data.get("vulnerabilities", []) if v.get("cve")))
    affected: list[JvnAffected] = []
    for vendor_branch in data.get("product_tree", {}).get("branches", []):
        for product_branch in vendor_branch.get("branches", []):
            product = product_branch.get("product", {})
            cpe_text = product.get("product_identification_helper", {}).get("cpe", "")
            names = _names(cpe_text, vendor_branch.get("name", ""), product.get("name", ""))
            affected.extend(
                JvnAffected(vendor=vendor, product=name, cpe=cpe_text, text="", parsed=False)
                for vendor, name in names
            )
    return JvnEntry(
        id=vid,
        title_ja=str(doc.get("title", "")),
        overview_ja=notes.strip(),
        cves=cves,
        cvss=None,
        published=str(doc["tracking"].get("initial_release_date", "")),
        last_modified=str(doc["tracking"].get("current_release_date", "")),
        affected=tuple(affected),
    )


@dataclass
class JvnFilesSource(VulnSource):
    """VULDEF XML and MyJVN 4.0 JSON detail files in a folder."""

    folder: Path
    name: str = "jvn"

    def entries(self) -> Iterator[JvnEntry]:
        files = sorted(p for p in self.folder.rglob("*") if p.suffix in (".xml", ".json"))
        found = False
        for path in files:
            if path.suffix == ".xml":
                raw = path.read_bytes()
                if b"VULDEF-Document" not in raw[:4000] and b"Vulinfo" not in raw:
                    continue
                found = True
                yield from parse_vuldef(raw, str(path))
            elif "getVulnDetailInfo" in path.name or "detail" in path.name:
                try:
                    data = json.loads(path.read_bytes())
                except ValueError as exc:
                    raise VulnDBError("vulndb.malformed", what=str(path), reason=str(exc)) from exc
                if isinstance(data, dict) and "document" in data:
                    found = True
                    yield parse_oka_detail(data)
        if not found:
            raise VulnDBError("vulndb.no_source_files", source="JVN", folder=str(self.folder))

    def load(self, sink: Sink) -> SourceResult:
        entries = list(self.entries())  # parse everything before writing anything
        count = sink.add_jvn(_dedupe(entries))
        return SourceResult(self.name, count)


def _dedupe(entries: list[JvnEntry]) -> list[JvnEntry]:
    """One entry per JVNDB id; the XML (with version text) wins over the JSON form."""
    chosen: dict[str, JvnEntry] = {}
    for entry in entries:
        old = chosen.get(entry.id)
        if old is None or (not any(a.text for a in old.affected) and entry.affected):
            chosen[entry.id] = entry
    return list(chosen.values())


@dataclass
class JvnApiSource(VulnSource):
    """MyJVN API (hnd feed): overview pages, then details in batches of ten."""

    base_url: str = DEFAULT_URL
    filters: dict[str, str] = field(default_factory=dict)
    fetcher: HttpFetcher | None = None
    page_size: int = 50
    max_pages: int = 200
    name: str = "jvn"

    def load(self, sink: Sink) -> SourceResult:
        fetcher = self.fetcher or HttpFetcher(RateLimiter(limit=5, period=10.0))
        ids: list[str] = []
        start = 1
        for _ in range(self.max_pages):
            params = {
                "method": "getVulnOverviewList",
                "feed": "hnd",
                "lang": "ja",
                "startItem": start,
                "maxCountItem": self.page_size,
                **self.filters,
            }
            response = fetcher.get(self.base_url, params=params)
            page, total = parse_overview(response.content, f"getVulnOverviewList {start}")
            ids.extend(i for i in page if i not in ids)
            start += self.page_size
            if not page or start > total:
                break
        entries: list[JvnEntry] = []
        for i in range(0, len(ids), 10):
            batch = ids[i : i + 10]
            params = {
                "method": "getVulnDetailInfo",
                "feed": "hnd",
                "lang": "ja",
                "vulnId": "+".join(batch),
            }
            response = fetcher.get(self.base_url, params=params)
            entries.extend(parse_vuldef(response.content, "getVulnDetailInfo " + batch[0]))
        count = sink.add_jvn(entries)
        return SourceResult(self.name, count, f"{len(ids)} listed")
