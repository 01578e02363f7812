"""Benchmark: how long the command line takes to answer, next to ``python -c pass``.

Commands a surveyor types many times a day: ``kenshin --help``, ``kenshin engagement
list`` and ``kenshin engagement show CODE`` (on a store holding the demo engagement).
Each runs in a fresh process, alternating with the peer, the bare interpreter start-up
(``python -c pass``), which no Python command line can beat. Target: ≤ 0.5 s each.
Wall time includes waiting for a shared core; CPU time (user + system of the child) is
what the same run costs on an idle machine.

    .venv/bin/python bench/startup.py [--runs 7] [--write]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _doc import write_section

from kenshin import __version__

TARGET_S = 0.5
COMMANDS: list[tuple[str, list[str]]] = [
    ("kenshin --help", ["-m", "kenshin", "--help"]),
    ("kenshin engagement list", ["-m", "kenshin", "engagement", "list"]),
    ("kenshin engagement show demo-2026", ["-m", "kenshin", "engagement", "show", "demo-2026"]),
]
PEER = ["-c", "pass"]


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh ``python ARGS`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=120,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _spread(values: list[float]) -> str:
    median = statistics.median(values)
    return f"±{(max(values) - min(values)) / 2 / median * 100:.0f} %" if median else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = dict(
            os.environ,
            KENSHIN_DB_URL=f"sqlite:///{Path(folder) / 'k.sqlite3'}",
            KENSHIN_DATA_DIR=str(Path(folder) / "data"),
            KENSHIN_LANG="ja",
        )
        subprocess.run(
            [sys.executable, "-m", "kenshin", "demo", "--summary-only"],
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
            timeout=300,
        )
        load_before = os.getloadavg()[0]
        peer: list[tuple[float, float]] = []
        ours: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in COMMANDS}
        for _ in range(args.runs):
            for name, command in COMMANDS:
                peer.append(_timed(PEER, env))
                ours[name].append(_timed(command, env))
        load_after = os.getloadavg()[0]
    peer_wall = statistics.median(w for w, _ in peer)
    peer_cpu = statistics.median(c for _, c in peer)
    rows = []
    for name, _ in COMMANDS:
        walls = [w for w, _ in ours[name]]
        cpus = [c for _, c in ours[name]]
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        mark = "✅" if cpu <= TARGET_S else "❌"
        rows.append(
            f"| `{name}` | {peer_wall:.3f} | {wall:.3f} {_spread(walls)} | {cpu:.3f} {mark} "
            f"| {TARGET_S} | {wall / peer_wall:.1f} |"
        )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(
        [
            "## Command-line start-up (`bench/startup.py`)",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, kenshin {__version__}. Date: {when}. Medians of "
            f"{args.runs} runs, each a fresh process, alternating with the peer "
            f"(`python -c pass`). Load average (1 min) {load_before:.1f} before, "
            f"{load_after:.1f} after: the machine is shared, so wall time includes waiting "
            "for a core; CPU time is what the run costs on an idle machine, and the target "
            "is checked against it.",
            "",
            "| command | peer `python -c pass` wall s | kenshin wall s | kenshin CPU s "
            "| target s | ratio (wall) |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Peer CPU time: {peer_cpu:.3f} s. `--help` imports no command module (the root "
            "group lists commands from a table and imports a command when it runs). "
            "`engagement list/show` read an SQLite store at the current schema with plain SQL "
            "through `sqlite3` (`kenshin.store.reading`, the same mapping the repository uses "
            "through its session): they import neither SQLAlchemy nor Alembic nor the "
            "engagement file's pydantic schema; the schema check compares the stored revision "
            "with one baked into the code (a test keeps it equal to Alembic's head). The "
            "message catalogue is read from a JSON copy kept while its YAML files are "
            "unchanged (the benchmark's first command, `demo --summary-only`, writes it). What "
            "remains is Typer (which builds a pydantic adapter per parameter), Rich and the "
            "domain classes. A PostgreSQL store, or an SQLite one that needs migrating, goes "
            "through SQLAlchemy as before.",
        ]
    )
    print(body)
    if args.write:
        write_section("startup", body)


if __name__ == "__main__":
    main()
