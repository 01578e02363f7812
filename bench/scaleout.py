"""Scale-out benchmark: Celery workers (1, 2, 4) against the in-process runner, same run.

One command (as root; PostgreSQL and Redis running, see ``scripts/services.sh``)::

    .venv/bin/python bench/scaleout.py
    .venv/bin/python bench/scaleout.py --workers 1,2,4 --ports 100

It starts the lab's ``bench`` profile and scans the ``wide`` host's /22 (1,024
addresses) x the top-N TCP ports (connect mode, ``lab`` pacing, no identification):
first with the in-process runner (one scan engine run in this process), then with
1, 2 and 4 ``kenshin worker`` processes (each ``-c 2``) taking one unit per address.
Each configuration writes the same 102,400 port rows into a fresh PostgreSQL
database. The table (between the ``bench:scaleout`` markers of docs/benchmarks.md)
gives wall time, probes per second, the ratio to the in-process runner, the median
time a worker spends inside one unit, and the engine's overhead per unit: the part of
(workers x concurrency x wall time) not spent inside any unit (broker round trip,
lease, bookkeeping), divided by the number of units.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from ipaddress import ip_network
from pathlib import Path

from _doc import write_section
from _scratch_db import create_database, drop_database


def _wait(runner: object, job_id: str, timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = runner.status(job_id)  # type: ignore[attr-defined]
        if status.state.finished:
            return status
        time.sleep(0.2)
    raise SystemExit(f"job {job_id} did not end within {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--ports", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--broker", default=os.environ.get("KENSHIN_BENCH_BROKER", "redis://127.0.0.1:6379/12")
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("KENSHIN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()

    os.environ["KENSHIN_LAB_TARGETS"] = "1"
    data_dir = Path(tempfile.mkdtemp(prefix="kenshin-bench-scaleout-"))
    os.environ["KENSHIN_DATA_DIR"] = str(data_dir)
    os.environ.pop("KENSHIN_BROKER_URL", None)

    from sqlalchemy import func, select

    from kenshin.jobs import InProcessRunner, JobKind, JobSpec, JobState
    from kenshin.jobs.distributed import CeleryRunner
    from kenshin.lab import Lab
    from kenshin.store import open_store
    from kenshin.store.models_jobs import JobUnitRow
    from kenshin.store.models_scan import ScanPortRow

    rows: list[dict[str, object]] = []
    load_before = os.getloadavg()
    with Lab.start("bench") as lab:
        wide = lab.hosts["wide"]
        prefix = str(ip_network(wide.prefixes[0]))
        addresses = len(
            list(ip_network(prefix).hosts())
        )  # a CIDR target skips network and broadcast
        params = {
            "targets": prefix,
            "top_ports": str(args.ports),
            "mode": "connect",
            "profile": "lab",
            "identify": "false",
            "unit_ports": str(args.ports),
        }
        spec = JobSpec(JobKind.SCAN, None, params, "bench")
        probes = addresses * args.ports

        def count_rows(store: object, run_uid: str) -> int:
            from kenshin.store.models_scan import ScanRunRow

            with store.session() as session:  # type: ignore[attr-defined]
                run_id = session.scalar(select(ScanRunRow.id).where(ScanRunRow.uid == run_uid))
                return int(
                    session.scalar(
                        select(func.count())
                        .select_from(ScanPortRow)
                        .where(ScanPortRow.run_id == run_id)
                    )
                    or 0
                )

        # the in-process runner
        db_url = create_database(args.pg, "kenshin_bench")
        store = open_store(db_url)
        runner = InProcessRunner(store)
        started = time.perf_counter()
        job_id = runner.submit(spec)
        status = runner.wait(job_id, timeout=1800)
        wall = time.perf_counter() - started
        assert status.state is JobState.SUCCEEDED, status.error
        base = wall
        rows.append(
            {
                "config": "in-process runner (one engine run)",
                "wall": wall,
                "rows": count_rows(store, status.result["scan_run"]),
                "unit": None,
                "overhead": None,
            }
        )
        print(rows[-1], flush=True)
        store.dispose()
        drop_database(args.pg, db_url)

        for count in [int(n) for n in args.workers.split(",")]:
            db_url = create_database(args.pg, "kenshin_bench")
            store = open_store(db_url)
            runner_c = CeleryRunner(store, args.broker)
            runner_c.app.control.purge()
            env = {**os.environ, "KENSHIN_BROKER_URL": args.broker, "KENSHIN_DB_URL": db_url}
            processes = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "kenshin",
                        "worker",
                        "--label",
                        f"b{i}",
                        "-c",
                        str(args.concurrency),
                        "--loglevel",
                        "WARNING",
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for i in range(count)
            ]
            try:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    replies = runner_c.app.control.ping(timeout=1.0) or []
                    if len(replies) >= count:
                        break
                started = time.perf_counter()
                job_id = runner_c.submit(spec)
                status = _wait(runner_c, job_id, timeout=3600)
                wall = time.perf_counter() - started
                assert status.state is JobState.SUCCEEDED, status.error  # type: ignore[attr-defined]
                with store.session() as session:
                    spans = [
                        (u.finished_at - u.started_at).total_seconds()
                        for u in session.scalars(
                            select(JobUnitRow).where(JobUnitRow.job_id == job_id)
                        )
                    ]
                inside = sum(spans)
                slots = count * args.concurrency
                rows.append(
                    {
                        "config": f"{count} worker(s) x {args.concurrency} threads",
                        "wall": wall,
                        "rows": count_rows(store, status.result["scan_run"]),  # type: ignore[attr-defined]
                        "unit": statistics.median(spans),
                        "overhead": max(0.0, slots * wall - inside) / len(spans),
                    }
                )
                print(rows[-1], flush=True)
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait(timeout=10)
                runner_c.app.control.purge()
                store.dispose()
                drop_database(args.pg, db_url)
    load_after = os.getloadavg()

    lines = [
        "## Scale-out (`bench/scaleout.py`)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, "
        f"shared with other work: load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after). "
        f"{addresses:,} lab addresses (the `bench` profile's /22) x top-{args.ports} TCP ports = "
        f"{probes:,} probes, connect mode, `lab` pacing, no identification; PostgreSQL store, "
        f"broker `{args.broker.split('://')[0]}`; one unit = one address x {args.ports} ports. "
        "Ratios are against the in-process runner measured in the same run "
        "(lower wall time is better).",
        "",
        "| configuration | wall (s) | probes/s | x in-process time | port rows "
        "| median unit (ms) | overhead / unit (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        wall = float(row["wall"])  # type: ignore[arg-type]
        unit = row["unit"]
        overhead = row["overhead"]
        lines.append(
            f"| {row['config']} | {wall:.1f} | {probes / wall:,.0f} | {wall / base:.2f} "
            f"| {row['rows']:,} | "
            f"{'-' if unit is None else f'{float(unit) * 1000:.0f}'} | "  # type: ignore[arg-type]
            f"{'-' if overhead is None else f'{float(overhead) * 1000:.0f}'} |"  # type: ignore[arg-type]
        )
    table = "\n".join(lines)
    print(table)
    if not args.no_doc:
        write_section("scaleout", table)


if __name__ == "__main__":
    main()
