"""Benchmark: a knowledge base the size of NVD, built and matched; our index vs a plain scan.

    python bench/vulndb.py [--cves 300000] [--queries 10000] [--scan-sample 30000]

Generates NVD CVE API 2.0 pages (2,000 records each) with realistic configurations:
per-branch version ranges (FortiOS-like), enumerated releases in the update field
(Ivanti-like), firmware-on-hardware AND configurations (YAMAHA-like), records without
configurations (awaiting analysis); product popularity follows a Zipf law. Then, each
in its own child process so peak memory is measured per phase (``os.wait4``):

1. build: ``update_knowledge_base`` from the files (the real import path);
2. match: 10,000 device versions through ``KnowledgeBase.match`` (the first pass
   includes loading each product: reading its records, building its segment table and
   composing its matches; the later passes are "after load");
3. scan: the straightforward way - every record's configurations evaluated for every
   query - on a sample of records, extrapolated linearly to the full size.

Writes a table into docs/benchmarks.md (between vulndb markers).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _doc import write_section

ROOT = Path(__file__).resolve().parents[1]

KNOWN = [
    ("o", "fortinet", "fortios", "fortios"),
    ("o", "paloaltonetworks", "pan-os", "panos"),
    ("a", "ivanti", "connect_secure", "ivanti"),
    ("a", "citrix", "netscaler_application_delivery_controller", "citrix"),
    ("o", "cisco", "ios_xe", "cisco"),
    ("o", "sonicwall", "sonicos", "sonicos"),
    ("o", "yamaha", "rtx1210_firmware", "yamaha"),
    ("a", "openbsd", "openssh", "openssh"),
]


def products(count: int, rng: random.Random) -> list[tuple[str, str, str, str]]:
    out = list(KNOWN)
    while len(out) < count:
        i = len(out)
        out.append((rng.choice("aao"), f"vendor{i % 6000:05d}", f"product{i:05d}", "generic"))
    return out


def _version(rng: random.Random, scheme: str, major: int, minor: int, patch: int) -> str:
    if scheme == "citrix":
        return f"{major}.{minor}-{patch + 30}.{rng.randint(1, 60)}"
    if scheme == "sonicos":
        return f"{major}.{minor}.{patch}-{5000 + rng.randint(0, 200)}"
    if scheme == "yamaha":
        return f"{major}.{minor:02d}.{patch:02d}"
    return f"{major}.{minor}.{patch}"


def make_record(
    i: int, rng: random.Random, prods: list[tuple[str, str, str, str]], weights: list[float]
) -> dict[str, Any]:
    part, vendor, product, scheme = rng.choices(prods, weights)[0]
    cve = f"CVE-{2000 + i % 26}-{100000 + i}"
    configs: list[dict[str, Any]] = []
    kind = rng.random()
    crit = f"cpe:2.3:{part}:{vendor}:{product}:*:*:*:*:*:*:*:*"
    if kind < 0.05:
        configs_key = None  # awaiting analysis
    elif kind < 0.20 and scheme in ("ivanti", "generic"):
        major = rng.randint(8, 22)
        matches = [
            {
                "vulnerable": True,
                "criteria": f"cpe:2.3:{part}:{vendor}:{product}:{major}.{m}:r{r}.{u}:*:*:*:*:*:*",
                "matchCriteriaId": f"{i:08X}-{m}-{r}-{u}",
            }
            for m in range(rng.randint(1, 2))
            for r in range(1, rng.randint(2, 8))
            for u in range(rng.randint(1, 3))
        ]
        configs.append({"nodes": [{"operator": "OR", "negate": False, "cpeMatch": matches}]})
        configs_key = "configurations"
    elif kind < 0.30:
        major = rng.randint(10, 15)
        hw = product.replace("_firmware", "")
        configs.append(
            {
                "operator": "AND",
                "nodes": [
                    {
                        "operator": "OR",
                        "negate": False,
                        "cpeMatch": [
                            {
                                "vulnerable": True,
                                "criteria": crit.replace(":a:", ":o:"),
                                "versionEndIncluding": _version(
                                    rng, scheme, major, rng.randint(0, 3), rng.randint(0, 40)
                                ),
                                "matchCriteriaId": f"{i:08X}-F",
                            }
                        ],
                    },
                    {
                        "operator": "OR",
                        "negate": False,
                        "cpeMatch": [
                            {
                                "vulnerable": False,
                                "criteria": f"cpe:2.3:h:{vendor}:{hw}_hw{h}:-:*:*:*:*:*:*:*",
                                "matchCriteriaId": f"{i:08X}-H{h}",
                            }
                            for h in range(rng.randint(1, 6))
                        ],
                    },
                ],
            }
        )
        configs_key = "configurations"
    else:
        matches = []
        major = rng.randint(5, 12)
        for minor in sorted(rng.sample(range(0, 8), rng.randint(1, 5))):
            start = rng.randint(0, 3)
            end = start + rng.randint(1, 20)
            entry: dict[str, Any] = {
                "vulnerable": True,
                "criteria": crit,
                "matchCriteriaId": f"{i:08X}-{minor}",
            }
            entry["versionStartIncluding"] = _version(rng, scheme, major, minor, start)
            if rng.random() < 0.6:
                entry["versionEndExcluding"] = _version(rng, scheme, major, minor, end)
            else:
                entry["versionEndIncluding"] = _version(rng, scheme, major, minor, end)
            matches.append(entry)
        if rng.random() < 0.15:
            matches.append(
                {
                    "vulnerable": True,
                    "criteria": crit,
                    "versionEndExcluding": _version(rng, scheme, major - 1, 0, 0),
                    "matchCriteriaId": f"{i:08X}-old",
                }
            )
        configs.append({"nodes": [{"operator": "OR", "negate": False, "cpeMatch": matches}]})
        configs_key = "configurations"
    score = round(rng.uniform(2.0, 10.0), 1)
    record: dict[str, Any] = {
        "id": cve,
        "sourceIdentifier": "cve@mitre.org",
        "published": "2024-01-01T00:00:00.000",
        "lastModified": "2025-01-01T00:00:00.000",
        "vulnStatus": "Analyzed" if configs_key else "Awaiting Analysis",
        "descriptions": [
            {
                "lang": "en",
                "value": f"A generated flaw in {product} lets a remote "
                f"attacker do something unwelcome ({cve}). " * 3,
            }
        ],
        "metrics": {
            "cvssMetricV31": [
                {
                    "source": "nvd@nist.gov",
                    "type": "Primary",
                    "cvssData": {
                        "version": "3.1",
                        "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                        "baseScore": score,
                        "baseSeverity": "HIGH",
                    },
                    "exploitabilityScore": 3.9,
                    "impactScore": 5.9,
                }
            ]
        },
        "weaknesses": [
            {
                "source": "nvd@nist.gov",
                "type": "Primary",
                "description": [{"lang": "en", "value": "CWE-787"}],
            }
        ],
        "references": [{"url": f"https://example.invalid/advisory/{i}", "source": "cve@mitre.org"}],
    }
    if configs_key:
        record["configurations"] = configs
    return record


def generate(folder: Path, count: int, seed: int) -> list[tuple[str, str, str, str]]:
    rng = random.Random(seed)
    prods = products(20000, rng)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(prods))]
    page: list[dict[str, Any]] = []
    number = 0
    for i in range(count):
        page.append({"cve": make_record(i, rng, prods, weights)})
        if len(page) == 2000 or i == count - 1:
            body = {
                "resultsPerPage": len(page),
                "startIndex": number * 2000,
                "totalResults": count,
                "format": "NVD_CVE",
                "version": "2.0",
                "vulnerabilities": page,
            }
            (folder / f"nvd-page-{number:04d}.json").write_text(json.dumps(body))
            page = []
            number += 1
    return prods


def queries(prods: list[tuple[str, str, str, str]], count: int, seed: int) -> list[str]:
    rng = random.Random(seed + 1)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(prods))]
    out = []
    for _ in range(count):
        part, vendor, product, scheme = rng.choices(prods, weights)[0]
        version = _version(rng, scheme, rng.randint(5, 15), rng.randint(0, 7), rng.randint(0, 25))
        if scheme == "ivanti":
            version = f"{rng.randint(8, 22)}.{rng.randint(0, 1)}"
            out.append(
                f"cpe:2.3:{part}:{vendor}:{product}:{version}:r{rng.randint(1, 8)}.1:*:*:*:*:*:*"
            )
            continue
        out.append(f"cpe:2.3:{part}:{vendor}:{product}:{version.replace(':', '')}:*:*:*:*:*:*:*")
    return out


# ------------------------------------------------------------------ child phases
def phase_build(folder: Path, kb: Path) -> dict[str, float]:
    from kenshin.vulndb.sources import NvdFilesSource
    from kenshin.vulndb.update import update_knowledge_base

    start, cpu = time.perf_counter(), time.process_time()
    update_knowledge_base(kb, [NvdFilesSource(folder)])
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu}


def phase_match(kb: Path, query_file: Path) -> dict[str, float]:
    from kenshin.vulndb import ProductQuery, open_knowledge_base

    cpes = json.loads(query_file.read_text())
    base = open_knowledge_base(kb)
    start, cpu = time.perf_counter(), time.process_time()
    first = sum(len(base.match(ProductQuery(cpe=c))) for c in cpes)
    cold = time.perf_counter() - start
    cold_cpu = time.process_time() - cpu
    distinct = len(base._result_memo)
    prepared = [p for g in base._groups.values() for p in g.prepared.values()]
    fallback = sum(len(p.fallback) for p in prepared)
    composed = sum(len(p.ordered) + len(p.per_query) for p in prepared)
    segments = sum(2 * len(p.bounds) + 1 for p in prepared)
    warm_runs: list[float] = []
    warm_cpu: list[float] = []
    for _ in range(3):
        # keep the loaded product indexes, forget every remembered result
        base._result_memo.clear()
        base._compose_memo.clear()
        start, cpu = time.perf_counter(), time.process_time()
        again = sum(len(base.match(ProductQuery(cpe=c))) for c in cpes)
        warm_runs.append(time.perf_counter() - start)
        warm_cpu.append(time.process_time() - cpu)
        assert again == first
    start = time.perf_counter()
    sum(len(base.match(ProductQuery(cpe=c))) for c in cpes)
    repeat = time.perf_counter() - start
    return {
        "cold": cold,
        "cold_cpu": cold_cpu,
        "warm": statistics.median(warm_runs),
        "warm_min": min(warm_runs),
        "warm_max": max(warm_runs),
        "matches": first,
        "distinct": distinct,
        "repeat": repeat,
        "warm_cpu": statistics.median(warm_cpu),
        "products": len(prepared),
        "records": sum(len(g.source) for g in base._groups.values()),
        "fallback": fallback,
        "composed": composed,
        "segments": segments,
    }


def phase_scan(kb: Path, query_file: Path, sample: int, nq: int) -> dict[str, float]:
    import sqlite3

    from kenshin.vulndb.cpe import CPE
    from kenshin.vulndb.evaluate import Target
    from kenshin.vulndb.matcher import ProductIndex, scan_records
    from kenshin.vulndb.products import scheme_for
    from kenshin.vulndb.records import configurations_from_json

    conn = sqlite3.connect(kb)
    rows = conn.execute(
        "SELECT id, configurations FROM cve WHERE configurations IS NOT NULL "
        "ORDER BY random() LIMIT ?",
        (sample,),
    ).fetchall()
    total = conn.execute("SELECT count(*) FROM cve WHERE configurations IS NOT NULL").fetchone()[0]
    conn.close()
    records = [(cve, configurations_from_json(text) or ()) for cve, text in rows]
    cpes = json.loads(query_file.read_text())[:nq]
    targets = []
    for text in cpes:
        cpe = CPE.parse(text)
        s = scheme_for(cpe.vendor, cpe.product)
        targets.append(
            Target(frozenset({(cpe.vendor, cpe.product)}), s.combine(cpe.version, cpe.update), s)
        )
    start = time.perf_counter()
    scanned = sum(len(scan_records(records, t)) for t in targets)
    scan_seconds = time.perf_counter() - start
    # the same sample through per-product indexes, for an exact like-for-like check
    indexes: dict[tuple[str, str], ProductIndex] = {}
    for cve, configs in records:
        for config in configs:
            for node in config.nodes:
                for m in node.matches:
                    ident = (m.criteria.vendor, m.criteria.product)
                    if m.vulnerable:
                        index = indexes.setdefault(ident, ProductIndex())
                        if cve not in index.configurations:
                            index.add(cve, configs)
    indexed = 0
    for t in targets:
        for ident in t.software:
            if ident in indexes:
                indexed += len(indexes[ident].match(t))
    assert indexed == scanned, (indexed, scanned)
    per_query = scan_seconds / len(targets)
    return {
        "sample": len(records),
        "total": total,
        "queries": len(targets),
        "per_query_sample": per_query,
        "per_query_full": per_query * total / len(records),
        "matches": scanned,
    }


def run_child(args: list[str]) -> tuple[dict[str, float], float]:
    proc = subprocess.Popen(
        [sys.executable, __file__, *args],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"child {args[0]} failed ({status})")
    return json.loads(out), usage.ru_maxrss / 1024.0  # MiB (Linux reports KiB)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("_build", "_match", "_scan"):
        phase = sys.argv[1]
        if phase == "_build":
            result = phase_build(Path(sys.argv[2]), Path(sys.argv[3]))
        elif phase == "_match":
            result = phase_match(Path(sys.argv[2]), Path(sys.argv[3]))
        else:
            result = phase_scan(
                Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
            )
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cves", type=int, default=300_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--scan-sample", type=int, default=30_000)
    parser.add_argument("--scan-queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--data", type=Path, help="Keep/reuse the generated files here.")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kenshin-bench-") as tmp:
        folder = args.data or Path(tmp) / "nvd"
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        reused = bool(args.data and len(list(folder.glob("nvd-page-*.json"))) * 2000 >= args.cves)
        if reused:
            prods = products(20000, random.Random(args.seed))  # same products, same seed
        else:
            prods = generate(folder, args.cves, args.seed)
        generated = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        query_file = Path(tmp) / "queries.json"
        query_file.write_text(json.dumps(queries(prods, args.queries, args.seed)))
        kb = Path(tmp) / "kb.sqlite3"
        build, build_rss = run_child(["_build", str(folder), str(kb)])
        kb_size = kb.stat().st_size / 1e6
        match, match_rss = run_child(["_match", str(kb), str(query_file)])
        scan, scan_rss = run_child(
            ["_scan", str(kb), str(query_file), str(args.scan_sample), str(args.scan_queries)]
        )
    load_after = os.getloadavg()
    index_per_query = match["warm"] / args.queries
    ratio = scan["per_query_full"] / index_per_query
    lines = [
        "## vulndb: knowledge base the size of NVD",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `python bench/vulndb.py"
        f" --cves {args.cves} --queries {args.queries}`; {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, SQLite "
        f"{__import__('sqlite3').sqlite_version}. Load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after (the machine is shared with other builds: expect noise).",
        "",
        f"Generated {args.cves:,} NVD API 2.0 records ({size:,.0f} MB of JSON, "
        + (
            "generated by an earlier run with the same seed, reused with `--data`"
            if reused
            else f"{generated:.0f} s to generate"
        )
        + ") over 20,000 products with Zipf popularity (s = 0.8); "
        f"knowledge-base file {kb_size:,.0f} MB.",
        "",
        "| measure | target | kenshin | peer: per-record scan | ratio |",
        "| --- | --- | --- | --- | --- |",
        f"| build from files | <= 60 s | {build['seconds']:.1f} s "
        f"(CPU {build.get('cpu', float('nan')):.1f} s; peak {build_rss:,.0f} MiB) | - | - |",
        f"| match {args.queries:,} versions, first pass (loads {match['products']:,.0f} "
        f"products) | - | "
        f"{match['cold']:.2f} s (CPU {match['cold_cpu']:.1f} s) | - | - |",
        f"| match {args.queries:,} versions after load (median of 3, "
        f"{match['warm_min']:.2f}-{match['warm_max']:.2f} s) | <= 1 s | {match['warm']:.2f} s "
        f"(CPU {match.get('warm_cpu', float('nan')):.2f} s; peak {match_rss:,.0f} MiB) | "
        f"{scan['per_query_full'] * args.queries:,.0f} s "
        f"(extrapolated) | {ratio:,.0f}x |",
        f"| the same {args.queries:,} again (results remembered) | - | {match['repeat']:.2f} s "
        f"| - | - |",
        f"| one query | - | {index_per_query * 1e6:,.0f} us | "
        f"{scan['per_query_full'] * 1e3:,.0f} ms | {ratio:,.0f}x |",
        "",
        f"The scan peer evaluates every record's configurations for each query. It ran "
        f"{scan['queries']} queries over a random sample of {scan['sample']:,} of the "
        f"{scan['total']:,} analysed records ({scan['per_query_sample'] * 1e3:.1f} ms per "
        f"query, peak {scan_rss:,.0f} MiB) and is extrapolated linearly to the full size; on "
        f"that sample the index found exactly the same {scan['matches']:,.0f} matches. "
        f"Peak memory is each phase's own child process (`ru_maxrss`); CPU is the process's "
        f"own time, wall time includes waiting for the shared cores. The queries hold "
        f"{match['distinct']:,.0f} distinct product versions and produce "
        f'{match["matches"] / args.queries:.1f} matches each on average; "after load" keeps '
        f"what the first pass loaded per product and clears every remembered result (the "
        f"per-query result memo and the match-composition memo).",
        "",
        f"Loading a product sweeps the ends of its version intervals once, evaluating a "
        f"record with the full evaluator only where one of its intervals starts or ends, "
        f"and composes each stretch's match once: the {match['products']:,.0f} products "
        f"queried hold {match['records']:,.0f} records, {match['segments']:,.0f} version "
        f"segments and {match['composed']:,.0f} composed matches. A query is then a version "
        f"parse, a binary search, a walk of about log2(segments) shared tuples and an "
        f"integer sort. Records whose version tests cannot be written as key intervals "
        f"are evaluated per query instead: {match['fallback']:,.0f} of them here "
        f"({100 * match['fallback'] / max(match['records'], 1):.1f} %); AND, negated and "
        f"hardware configurations need no fallback, their other entries being constant "
        f"per product and context.",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("vulndb", "\n".join(lines))


if __name__ == "__main__":
    main()
