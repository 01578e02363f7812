"""``kenshin vulndb``: update the vulnerability knowledge base, show its status, look up.

With ``KENSHIN_BROKER_URL`` set, ``update`` queues a knowledge-base update job: a worker
refreshes its knowledge base (``--kb`` as an absolute path, else the worker's data
directory) with its own ``NVD_API_KEY``; the command follows the job and prints the
same summary.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console, RenderableType
from rich.text import Text

from kenshin.cli._common import CliError, print_json
from kenshin.cli._jobs import on_workers, run_on_workers
from kenshin.cli._options import JsonOpt, KbOpt, Opt, WideOpt
from kenshin.cli._state import STATE, console
from kenshin.cli._tables import Cell, Column, fit_table
from kenshin.i18n import in_language
from kenshin.jobs import JobKind, JobSpec
from kenshin.scope import current_actor
from kenshin.vulndb import KnowledgeBase, ProductQuery, VulnMatch, default_path, open_knowledge_base
from kenshin.vulndb.update import SOURCES, update_knowledge_base, update_sources

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True)


def match_table(
    matches: list[VulnMatch] | tuple[VulnMatch, ...], out: Console, *, wide: bool = False
) -> RenderableType:
    """The matches as a table that fits the terminal: the CVE, its status and its title
    stay; the fixed version, KEV date and CVSS give way first on a narrow terminal."""
    t = STATE.t
    columns = [
        Column("CVE", whole=True),
        Column("CVSS", drop=3),
        Column("KEV", drop=2),
        Column(t("vulndb.table.status")),
        Column(t("vulndb.table.fixed"), drop=1),
        Column(t("vulndb.table.title")),
    ]
    rows: list[list[Cell]] = []
    for m in matches:
        kev = ""
        if m.kev:
            kev = (m.kev_date.isoformat() if m.kev_date else "yes") + (" R" if m.ransomware else "")
        confidence = t(f"report.confidence.{m.confidence.value}")
        rows.append(
            [
                m.cve,
                f"{m.cvss:.1f}" if m.cvss is not None else "-",
                kev,
                Text(t(f"vulndb.status.{m.status}", confidence=confidence)),
                Text(m.fixed_version or "-"),
                Text(in_language(STATE.lang, m.title_ja, m.title_en)),
            ]
        )
    return fit_table(out, columns, rows, lang=STATE.lang, wide=wide)


@app.command("update")
def update(
    source: Annotated[list[str] | None, typer.Option("--source")] = None,
    from_files: Annotated[Path | None, typer.Option("--from-files")] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", envvar="NVD_API_KEY")] = None,
    nvd_url: Annotated[str | None, typer.Option("--nvd-url")] = None,
    kev_url: Annotated[str | None, typer.Option("--kev-url")] = None,
    jvn_url: Annotated[str | None, typer.Option("--jvn-url")] = None,
    full: Annotated[bool, typer.Option("--full")] = False,
    kb: KbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Refresh the knowledge base (all or nothing: a failure keeps the previous one)."""
    chosen = source or list(SOURCES)
    for name in chosen:
        if name not in SOURCES:
            raise CliError("vulndb.unknown_source", source=name)
    if on_workers():
        params = {
            "sources": ",".join(chosen),
            "kb": str(kb.resolve()) if kb else "",
            "from_files": str(from_files.resolve()) if from_files else "",
            "nvd_url": nvd_url or "",
            "kev_url": kev_url or "",
            "jvn_url": jvn_url or "",
            "full": str(full).lower(),
        }
        done = run_on_workers(
            JobSpec(JobKind.VULNDB_UPDATE, None, params, current_actor()), show=not as_json
        ).result
        results = json.loads(done.get("results", "[]"))
        _updated(done["path"], results, as_json)
        return
    path = kb or default_path()
    sources = update_sources(
        path,
        chosen,
        from_files=from_files,
        nvd_url=nvd_url,
        kev_url=kev_url,
        jvn_url=jvn_url,
        api_key=api_key or os.environ.get("NVD_API_KEY"),
        full=full,
    )
    with console.status("vulndb update", spinner="dots") as status:
        result = update_knowledge_base(path, sources, progress=lambda s: status.update(s))
    _updated(str(result.path), [r.__dict__ for r in result.results], as_json)


def _updated(path: str, results: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json({"path": path, "results": results})
        return
    counts = {name: sum(r["records"] for r in results if r["source"] == name) for name in SOURCES}
    console.print(STATE.t("vulndb.update.done", path=path, **counts))


def _ask(kb: Path | None, question: Callable[[KnowledgeBase], T]) -> T:
    """Open the knowledge base, ask it one thing and close it again."""
    with closing(open_knowledge_base(kb)) as base:
        return question(base)


@app.command("status")
def status(kb: KbOpt = None, as_json: JsonOpt = False, wide: WideOpt = False) -> None:
    """What is loaded, how old it is, and how the last update ended."""
    info = _ask(kb, lambda base: base.status())
    if as_json:
        print_json(info.to_dict())
        return
    if info.path is None:
        console.print(
            STATE.t("vulndb.status.none", date=info.snapshot_date, count=info.snapshot_count)
        )
    else:
        console.print(
            STATE.t(
                "vulndb.status.built",
                path=info.path,
                built_at=info.built_at,
                cves=info.cve_count,
                kev=info.kev_count,
                kev_version=info.kev_catalog_version or "-",
                jvn=info.jvn_count,
                date=info.snapshot_date,
                count=info.snapshot_count,
            )
        )
    last = info.last_update
    if last and not last.get("ok"):
        reason = last.get("reason_ja" if STATE.lang == "ja" else "reason") or last.get("reason")
        console.print(STATE.t("vulndb.status.last_failure", at=last.get("at"), reason=reason))
    t = STATE.t
    # the source and whether it is loaded are essential; its edition and date go first
    columns = [
        Column(t(f"vulndb.status.col.{c}"), drop=1 if c == "date" else 0)
        for c in ("source", "loaded", "records", "date")
    ]
    rows: list[list[Cell]] = [
        [
            source.name,
            t("vulndb.status.yes") if source.loaded else t("vulndb.status.no"),
            str(source.records),
            " ".join(x for x in (source.version or "", source.date or "") if x) or "-",
        ]
        for source in info.sources
    ]
    title = t("vulndb.status.sources")
    console.print(fit_table(console, columns, rows, lang=STATE.lang, title=title, wide=wide))
    # a product line and whether it is covered are essential; the counts per source go first
    columns = [
        Column(t(f"vulndb.status.col.{c}"), drop=1 if c == "records" else 0)
        for c in ("line", "covered", "records")
    ]
    rows = []
    for line in info.product_lines:
        counts = ", ".join(f"{k} {v}" for k, v in line.records.items() if v)
        rows.append(
            [
                line.name,
                t("vulndb.status.yes") if line.covered else t("vulndb.status.not_covered"),
                counts or "-",
            ]
        )
    title = t("vulndb.status.lines")
    console.print(fit_table(console, columns, rows, lang=STATE.lang, title=title, wide=wide))


@app.command("match")
def match(
    vendor: Annotated[str, typer.Option()] = "",
    product: Annotated[str, typer.Option()] = "",
    version: Annotated[str, typer.Option()] = "",
    cpe: Opt = None,
    kb: KbOpt = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Known vulnerabilities of a product version (what the scan checks call)."""
    query = ProductQuery(vendor=vendor, product=product, version=version, cpe=cpe)
    found = _ask(kb, lambda base: base.match(query))
    if as_json:
        print_json([m.to_dict() for m in found])
        return
    console.print(match_table(found, console, wide=wide))
