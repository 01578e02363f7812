"""A measured season: 200 simulated hospitals through the job runner, one worker killed mid-run.

One command (as root; PostgreSQL, Redis and RabbitMQ on loopback, see ``scripts/services.sh``)::

    .venv/bin/python bench/season.py
    .venv/bin/python bench/season.py --hospitals 200 --workers 1,2,4 --brokers redis,amqp

It starts the lab's ``bench`` profile and makes a programme of ``--hospitals``
engagements (the demo hospital's record under a new code), each with 2-6 fixed addresses
of the ``sweep`` host's /18 on one connection point and a diagnosis window of its own
(open now, closing between one and ten hours from now). For each broker and each fleet
size it queues one scan job per hospital (its authorised addresses x TCP top 20,
connect mode, ``lab`` pacing, one unit per address), kills one worker with SIGKILL
once a third of the units are done (and starts no replacement), and waits for every
job. Reported per run: total time, units re-sent (attempts beyond the first), and
whether every unit's result is stored exactly once (each job's ``scan_ports`` rows are
exactly its addresses x ports, each once). The table goes between the
``bench:season`` markers of docs/scaling.md, beside the season's arithmetic.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Network, ip_address
from pathlib import Path

from _doc import DOC, write_section
from _scratch_db import create_database, drop_database

BROKERS = {
    "redis": os.environ.get("KENSHIN_BENCH_BROKER", "redis://127.0.0.1:6379/12"),
    "amqp": os.environ.get("KENSHIN_BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672//"),
}
PORTS = 20


@dataclass
class Result:
    broker: str
    workers: int
    hospitals: int
    addresses: int
    units: int
    seconds: float
    resent: int
    killed_after: int
    stored_once: bool
    detail: str


def _programme(store: object, block: IPv4Network, hospitals: int, seed: int) -> dict[str, int]:
    """Save ``hospitals`` engagements; their codes and address counts."""
    from kenshin.cli.demo import demo_file
    from kenshin.domain import AddressAssignment, DiagnosisWindow, GlobalAddress
    from kenshin.intake import read_file
    from kenshin.store import EngagementRepository

    demo = read_file(demo_file())
    chosen = next(p for p in demo.connection_points if p.is_diagnosis_candidate)
    others = tuple(replace(p, addresses=()) for p in demo.connection_points if p.key != chosen.key)
    pick = random.Random(seed)
    hosts = iter(block)
    now = datetime.now(UTC)
    made: dict[str, int] = {}
    with store.session() as session:  # type: ignore[attr-defined]
        repository = EngagementRepository(session)
        for number in range(hospitals):
            count = pick.randint(2, 6)
            addresses = tuple(
                GlobalAddress(ip_address(str(next(hosts))), AddressAssignment.FIXED)
                for _ in range(count)
            )
            code = f"season-{number:03d}-{uuid.uuid4().hex[:4]}"
            window = DiagnosisWindow(
                now - timedelta(minutes=5), now + timedelta(hours=pick.randint(1, 10))
            )
            repository.save(
                replace(
                    demo,
                    code=code,
                    connection_points=(replace(chosen, addresses=addresses), *others),
                    window=window,
                )
            )
            made[code] = count
    return made


def _workers(
    count: int, env: dict[str, str], logs: Path, prefix: str = "s"
) -> list[subprocess.Popen[bytes]]:
    processes = []
    for index in range(count):
        log = (logs / f"w{index}.log").open("wb")
        label = f"{prefix}{index}"
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kenshin",
                    "worker",
                    "--label",
                    label,
                    "-c",
                    "2",
                    "--loglevel",
                    "INFO",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        texts = [p.read_bytes() for p in logs.glob("w*.log")]
        if len(texts) >= count and all(b" ready." in t for t in texts):
            return processes
        time.sleep(0.2)
    raise SystemExit("the workers did not become ready")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def run_once(
    broker: str,
    workers: int,
    hospitals: int,
    block: IPv4Network,
    admin: str,
    seed: int,
    visibility: int = 60,
) -> Result:
    from sqlalchemy import func, select

    from kenshin.jobs import JobKind, JobSpec, JobState
    from kenshin.jobs.distributed import QUEUE_ENV, CeleryRunner
    from kenshin.store import open_store
    from kenshin.store.models_jobs import JobRow, JobUnitRow
    from kenshin.store.models_scan import ScanPortRow, ScanRunRow

    db_url = create_database(admin, "kenshin_season")
    store = open_store(db_url)
    queue = f"kenshin-season-{uuid.uuid4().hex[:8]}"
    os.environ[QUEUE_ENV] = queue
    runner = CeleryRunner(store, BROKERS[broker])
    data = Path(tempfile.mkdtemp(prefix="kenshin-season-"))
    env = {
        **os.environ,
        "KENSHIN_BROKER_URL": BROKERS[broker],
        "KENSHIN_DB_URL": db_url,
        "KENSHIN_DATA_DIR": str(data),
        "KENSHIN_QUEUE": queue,
        "KENSHIN_VISIBILITY_TIMEOUT": str(visibility),
        "KENSHIN_LEASE_SECONDS": "6",
    }
    (data / "logs").mkdir()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        codes = _programme(store, block, hospitals, seed)
        processes = _workers(workers, env, data / "logs")
        params = {
            "targets": "",
            "top_ports": str(PORTS),
            "mode": "connect",
            "profile": "lab",
            "identify": "false",
            "unit_ports": str(PORTS),
        }
        started = time.perf_counter()
        jobs = {
            runner.submit(JobSpec(JobKind.SCAN, code, params, "season")): code for code in codes
        }
        units = sum(codes.values())
        killed_after = -1
        deadline = time.monotonic() + 3600
        pending = set(jobs)
        while pending and time.monotonic() < deadline:
            time.sleep(0.5)
            with store.session() as session:
                done = session.scalar(
                    select(func.count())
                    .select_from(JobUnitRow)
                    .where(JobUnitRow.job_id.in_(list(jobs)), JobUnitRow.state == "done")
                )
            if killed_after < 0 and (done or 0) >= units // 3 and len(processes) > 0:
                victim = processes[0]
                victim.send_signal(signal.SIGKILL)
                victim.wait(timeout=10)
                killed_after = int(done or 0)
                if workers == 1:  # the fleet may not be empty: one replacement
                    processes += _workers_more(env, data / "logs")
            with store.session() as session:
                pending = set(
                    session.scalars(
                        select(JobRow.id).where(
                            JobRow.id.in_(list(jobs)),
                            JobRow.state.not_in(("succeeded", "failed", "cancelled")),
                        )
                    )
                )
        seconds = time.perf_counter() - started
        failed = [j for j in jobs if runner.status(j).state is not JobState.SUCCEEDED]
        with store.session() as session:
            resent = int(
                session.scalar(
                    select(func.coalesce(func.sum(JobUnitRow.attempts - 1), 0)).where(
                        JobUnitRow.job_id.in_(list(jobs)), JobUnitRow.attempts > 1
                    )
                )
                or 0
            )
            stored = 0
            exact = True
            for job_id in jobs:
                run_uid = runner.status(job_id).result.get("scan_run", "")
                run_id = session.scalar(select(ScanRunRow.id).where(ScanRunRow.uid == run_uid))
                rows = session.execute(
                    select(ScanPortRow.address, ScanPortRow.port).where(
                        ScanPortRow.run_id == run_id
                    )
                ).all()
                stored += len(rows)
                if len(rows) != len(set(rows)) or len(rows) != codes[jobs[job_id]] * PORTS:
                    exact = False
        detail = f"{stored:,} port rows for {units * PORTS:,} probes"
        if failed:
            detail += f"; {len(failed)} jobs not succeeded"
        return Result(
            broker,
            workers,
            hospitals,
            units,
            units,
            seconds,
            resent,
            killed_after,
            exact and not failed,
            detail,
        )
    finally:
        _stop(processes)
        runner.app.control.purge()
        store.dispose()
        drop_database(admin, db_url)


def _workers_more(env: dict[str, str], logs: Path) -> list[subprocess.Popen[bytes]]:
    """One more worker (a one-worker fleet needs one after its only worker was killed)."""
    extra = logs / "extra"
    extra.mkdir(exist_ok=True)
    return _workers(1, env, extra, prefix="extra")


def render(results: list[Result], loads: list[str]) -> str:
    lines = [
        "## A measured season (`bench/season.py`)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores shared with other "
        f"engineers' work (load average seen: {', '.join(loads)}). Each row: "
        f"{results[0].hospitals} simulated hospitals (engagements with 2-6 fixed lab addresses "
        "and a diagnosis window each), one scan job per hospital (TCP top "
        f"{PORTS}, connect mode, `lab` pacing, one unit per address) on `kenshin worker` "
        "processes with 2 threads each and PostgreSQL; one worker is killed with SIGKILL once "
        "a third of the units are done (a one-worker fleet then gets one replacement).",
        "",
        "| broker | workers | addresses (units) | total s | units re-sent | killed after units |"
        " every unit's result stored exactly once |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.broker} | {r.workers} | {r.units:,} | {r.seconds:.1f} | {r.resent} | "
            f"{r.killed_after} | {'yes' if r.stored_once else 'NO'} ({r.detail}) |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hospitals", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--brokers", default="redis,amqp")
    parser.add_argument(
        "--pg",
        default=os.environ.get("KENSHIN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument(
        "--visibility",
        type=int,
        default=60,
        help="Redis visibility timeout, seconds (600: what docs/scaling.md recommends)",
    )
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/season.py needs root: the lab uses network namespaces")
    os.environ["KENSHIN_LAB_TARGETS"] = "1"
    os.environ.pop("KENSHIN_BROKER_URL", None)
    os.environ["KENSHIN_DATA_DIR"] = tempfile.mkdtemp(prefix="kenshin-season-main-")
    from kenshin.lab import Lab

    results: list[Result] = []
    loads = [f"{os.getloadavg()[0]:.1f}"]
    with Lab.start("bench") as lab:
        block = IPv4Network(lab.hosts["sweep"].prefixes[0])
        for broker in args.brokers.split(","):
            for count in [int(n) for n in args.workers.split(",")]:
                result = run_once(
                    broker, count, args.hospitals, block, args.pg, count, args.visibility
                )
                results.append(result)
                loads.append(f"{os.getloadavg()[0]:.1f}")
                print(result, file=sys.stderr, flush=True)
    table = render(results, loads)
    print(table)
    if not args.no_doc:
        write_section("season", table, doc=DOC.with_name("scaling.md"))


if __name__ == "__main__":
    main()
