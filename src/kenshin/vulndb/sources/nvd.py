"""NVD CVE API 2.0: full and incremental download, and NVD 2.0 JSON files.

API (https://nvd.nist.gov/developers/vulnerabilities): ``GET .../rest/json/cves/2.0``
with ``startIndex``/``resultsPerPage`` (at most 2,000) paging; incremental updates
use ``lastModStartDate``/``lastModEndDate``, at most 120 days apart. Published rate
limits: 5 requests per rolling 30 seconds without an API key, 50 with one (sent in the
``apiKey`` header). Every page is saved under a state folder before the next is asked
for, so an interrupted download resumes where it stopped.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kenshin.vulndb.cpe import CPEError
from kenshin.vulndb.model import VulnDBError
from kenshin.vulndb.records import VulnRecord, parse_nvd_record
from kenshin.vulndb.sources._base import HttpFetcher, RateLimiter, Sink, SourceResult, VulnSource

DEFAULT_URL = "https://services.nvd.nist.gov/rest/json/cves/2.0"
MAX_WINDOW = timedelta(days=120)
PAGE_SIZE = 2000


def nvd_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def windows(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """Split [since, until] into windows no longer than NVD's 120-day limit."""
    out: list[tuple[datetime, datetime]] = []
    start = since
    while start < until:
        end = min(start + MAX_WINDOW, until)
        out.append((start, end))
        start = end
    return out


def records_from_json(data: Any, what: str, skipped: list[str]) -> Iterator[VulnRecord]:
    """Records from a single ``cve`` object or from an API response page."""
    items: list[Any]
    if isinstance(data, dict) and "vulnerabilities" in data:
        items = data["vulnerabilities"]
    elif isinstance(data, dict) and "CVE_Items" in data:
        raise VulnDBError("vulndb.malformed", what=what, reason="NVD 1.1 feeds are not read")
    else:
        items = [data]
    for item in items:
        try:
            yield parse_nvd_record(item, lazy=True)
        except (ValueError, KeyError, TypeError, CPEError) as exc:
            skipped.append(f"{what}: {exc}")


def _read_json(path: Path) -> Any:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise VulnDBError("vulndb.malformed", what=str(path), reason=str(exc)) from exc


@dataclass
class NvdFilesSource(VulnSource):
    """NVD API 2.0 JSON files: one ``cve`` object per file, or whole response pages."""

    folder: Path
    name: str = "nvd"
    skipped: list[str] = field(default_factory=list)

    def files(self) -> list[Path]:
        if self.folder.is_file():
            return [self.folder]
        found = sorted(p for p in self.folder.rglob("*") if p.name.endswith((".json", ".json.gz")))
        return [p for p in found if p.name.startswith(("CVE-", "nvd", "page", "cves"))] or found

    def load(self, sink: Sink) -> SourceResult:
        files = self.files()
        if not files:
            raise VulnDBError("vulndb.no_source_files", source="NVD", folder=str(self.folder))

        def records() -> Iterator[VulnRecord]:
            for path in files:
                yield from records_from_json(_read_json(path), str(path), self.skipped)

        count = sink.add_cves(records())
        detail = f"{len(files)} files" + (f", {len(self.skipped)} skipped" if self.skipped else "")
        return SourceResult(self.name, count, detail)


@dataclass
class NvdApiSource(VulnSource):
    """The NVD CVE API 2.0, full (``since`` None) or incremental."""

    state_dir: Path
    base_url: str = DEFAULT_URL
    api_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page_size: int = PAGE_SIZE
    fetcher: HttpFetcher | None = None
    max_pages: int = 10_000
    name: str = "nvd"
    skipped: list[str] = field(default_factory=list)

    def _fetcher(self) -> HttpFetcher:
        if self.fetcher is None:
            limit = 50 if self.api_key else 5
            headers = {"apiKey": self.api_key} if self.api_key else {}
            self.fetcher = HttpFetcher(RateLimiter(limit=limit, period=30.0), headers=headers)
        return self.fetcher

    def _plan(self) -> list[dict[str, str]]:
        if self.since is None:
            return [{}]
        until = self.until or datetime.now(UTC)
        return [
            {"lastModStartDate": nvd_time(a), "lastModEndDate": nvd_time(b)}
            for a, b in windows(self.since, until)
        ]

    def _state_file(self) -> Path:
        return self.state_dir / "state.json"

    def _load_state(self, plan: list[dict[str, str]]) -> dict[str, Any]:
        path = self._state_file()
        if path.exists():
            try:
                state: dict[str, Any] = json.loads(path.read_text("utf-8"))
                if state.get("plan") == plan and state.get("base_url") == self.base_url:
                    return state
            except ValueError:
                pass
        if self.state_dir.exists():
            shutil.rmtree(self.state_dir)
        return {"plan": plan, "base_url": self.base_url, "window": 0, "next": 0, "done": False}

    def _save_state(self, state: dict[str, Any]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        temp = self._state_file().with_suffix(".tmp")
        temp.write_text(json.dumps(state), "utf-8")
        temp.replace(self._state_file())

    def download(self) -> list[Path]:
        """Fetch every page not fetched yet; returns the saved page files in order."""
        plan = self._plan()
        state = self._load_state(plan)
        fetcher = self._fetcher()
        pages = 0
        while not state["done"]:
            window = state["window"]
            if window >= len(plan):
                state["done"] = True
                self._save_state(state)
                break
            start = state["next"]
            params: dict[str, Any] = {
                **plan[window],
                "startIndex": start,
                "resultsPerPage": self.page_size,
            }
            response = fetcher.get(self.base_url, params=params)
            try:
                data = response.json()
                total = int(data["totalResults"])
                got = len(data["vulnerabilities"])
            except (ValueError, KeyError, TypeError) as exc:
                raise VulnDBError(
                    "vulndb.malformed", what=f"NVD page {start}", reason=str(exc)
                ) from exc
            self.state_dir.mkdir(parents=True, exist_ok=True)
            page = self.state_dir / f"page-{window:04d}-{start:08d}.json"
            page.write_bytes(response.content)
            pages += 1
            nxt = start + max(got, 1)
            if got == 0 or nxt >= total:
                state["window"], state["next"] = window + 1, 0
            else:
                state["next"] = nxt
            self._save_state(state)
            if pages >= self.max_pages:
                raise VulnDBError(
                    "vulndb.malformed",
                    what="NVD paging",
                    reason=f"more than {self.max_pages} pages",
                )
        return sorted(self.state_dir.glob("page-*.json"))

    def load(self, sink: Sink) -> SourceResult:
        pages = self.download()

        def records() -> Iterator[VulnRecord]:
            for path in pages:
                yield from records_from_json(_read_json(path), str(path), self.skipped)

        count = sink.add_cves(records())
        sink.set_meta("nvd_fetched_at", datetime.now(UTC).isoformat(timespec="seconds"))
        return SourceResult(self.name, count, f"{len(pages)} pages")

    def finish(self) -> None:
        """Forget the download state (after the new knowledge base is in place)."""
        if self.state_dir.exists():
            shutil.rmtree(self.state_dir)
