"""Refreshing the knowledge base from its sources, all or nothing.

``update_knowledge_base`` builds a new file beside the active one from the chosen
sources (starting from a copy of the active file, so one source can be refreshed on
its own), and swaps it in only when every source succeeded. Whatever happens, the
outcome is written to ``<kb>.last-update.json`` so ``kenshin vulndb status`` can say it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kenshin.domain.clock import as_utc
from kenshin.errors import KenshinError
from kenshin.vulndb.kb_reader import last_update_path
from kenshin.vulndb.model import VulnDBError
from kenshin.vulndb.sources import (
    JvnApiSource,
    JvnFilesSource,
    KevFileSource,
    KevUrlSource,
    NvdApiSource,
    NvdFilesSource,
    SourceResult,
    VulnSource,
)
from kenshin.vulndb.sources.nvd import DEFAULT_URL as NVD_URL
from kenshin.vulndb.store import building, connect

SOURCES = ("nvd", "kev", "jvn")


@dataclass(frozen=True)
class UpdateResult:
    path: Path
    results: tuple[SourceResult, ...]

    def count(self, source: str) -> int:
        return sum(r.records for r in self.results if r.source == source)


def _record(path: Path, outcome: dict[str, object]) -> None:
    marker = last_update_path(path)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(outcome, ensure_ascii=False, indent=2), "utf-8")


def last_nvd_modification(path: Path) -> datetime | None:
    if not path.exists():
        return None
    conn = connect(path, readonly=True)
    try:
        row = conn.execute("SELECT max(last_modified) FROM cve").fetchone()
    finally:
        conn.close()
    if not row or not row[0]:
        return None
    moment = datetime.fromisoformat(str(row[0]))
    return as_utc(moment)


def sources_from_files(folder: Path, only: Sequence[str]) -> list[VulnSource]:
    """Sources reading ``folder``'s ``nvd/``, ``kev/`` and ``jvn/`` sub-folders."""
    out: list[VulnSource] = []
    if "nvd" in only:
        out.append(NvdFilesSource(folder / "nvd" if (folder / "nvd").exists() else folder))
    if "kev" in only:
        kev_dir = folder / "kev" if (folder / "kev").exists() else folder
        files = sorted(kev_dir.glob("known_exploited_vulnerabilities*.json"))
        files = [f for f in files if "schema" not in f.name] or sorted(kev_dir.glob("*.csv"))
        if not files:
            raise VulnDBError("vulndb.no_source_files", source="KEV", folder=str(kev_dir))
        out.append(KevFileSource(files[0]))
    if "jvn" in only:
        jvn_dir = folder / "jvn" if (folder / "jvn").exists() else folder
        out.append(JvnFilesSource(jvn_dir / "hnd" if (jvn_dir / "hnd").exists() else jvn_dir))
    return out


def update_sources(
    path: Path,
    only: Sequence[str],
    *,
    from_files: Path | None = None,
    nvd_url: str | None = None,
    kev_url: str | None = None,
    jvn_url: str | None = None,
    api_key: str | None = None,
    full: bool = False,
) -> list[VulnSource]:
    """The sources ``kenshin vulndb update`` reads: files, or the online services."""
    if from_files is not None:
        return sources_from_files(from_files, only)
    out: list[VulnSource] = []
    if "nvd" in only:
        since = None if full else last_nvd_modification(path)
        out.append(
            NvdApiSource(
                state_dir=path.with_name(path.name + ".nvd-download"),
                base_url=nvd_url or NVD_URL,
                api_key=api_key,
                since=since,
            )
        )
    if "kev" in only:
        out.append(KevUrlSource(url=kev_url) if kev_url else KevUrlSource())
    if "jvn" in only:
        out.append(JvnApiSource(base_url=jvn_url) if jvn_url else JvnApiSource())
    return out


def update_knowledge_base(
    path: Path,
    sources: Sequence[VulnSource],
    *,
    progress: Callable[[str], None] | None = None,
) -> UpdateResult:
    """Load every source into a new file and swap it in; on failure keep the old one."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    results: list[SourceResult] = []
    current = ""
    try:
        with building(path, incremental=True) as writer:
            for source in sources:
                current = source.name
                if progress:
                    progress(current)
                results.append(source.load(writer))
                writer.set_meta(
                    f"{source.name}_updated_at", datetime.now(UTC).isoformat(timespec="seconds")
                )
    except KenshinError as exc:
        _record(
            path,
            {
                "at": started,
                "ok": False,
                "source": current,
                "reason": exc.message("en"),
                "reason_ja": exc.message("ja"),
            },
        )
        raise VulnDBError("vulndb.update_failed", source=current, reason=exc.message("en")) from exc
    except (OSError, sqlite3.Error, ValueError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        _record(path, {"at": started, "ok": False, "source": current, "reason": reason})
        raise VulnDBError("vulndb.update_failed", source=current, reason=reason) from exc
    except BaseException as exc:  # interrupted (Ctrl-C, kill): say so, keep the old file
        _record(
            path,
            {
                "at": started,
                "ok": False,
                "source": current,
                "reason": f"interrupted ({type(exc).__name__})",
            },
        )
        raise
    for source in sources:
        if isinstance(source, NvdApiSource):
            source.finish()
    _record(
        path,
        {
            "at": started,
            "ok": True,
            "results": [
                {"source": r.source, "records": r.records, "detail": r.detail} for r in results
            ],
        },
    )
    return UpdateResult(path=path, results=tuple(results))
