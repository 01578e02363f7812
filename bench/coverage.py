"""Full coverage benchmark: every TCP port and the top 100 UDP ports, hospital profile,
against ``nmap -sS -sU`` at nmap's default timing, same lab, same run.

One command (as root, nmap installed)::

    .venv/bin/python bench/coverage.py                 # 2 addresses, 1 run
    .venv/bin/python bench/coverage.py --hosts 2 6 --runs 3

It starts the lab's ``bench`` profile, then for each address count runs nmap
(``-n -v -sS -sU -pT:1-65535,U:<kenshin's top 100 UDP>``, default timing) and kenshin
(the same ports, the hospital profile, SYN) one after the other, and writes the time
and the rate seen by each target into ``docs/benchmarks.md`` (between the
``bench:coverage`` markers). Addresses: the bench profile's four hosts, then the
``wide`` and ``sweep`` hosts' own addresses (so at most six). Every target is a lab
address in 198.18.0.0/15.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _doc import write_section

ROLES = ("web", "infra", "edge", "fw", "wide", "sweep")


def child(spec: dict[str, Any]) -> None:
    """One kenshin scan in this process, reported as JSON on stdout."""
    from kenshin.scan import HOSPITAL, ScanPlan, TcpMode, run_scan
    from kenshin.scope import LabPermission, adhoc_scope

    plan = ScanPlan(
        tuple(spec["targets"]), tuple(spec["tcp"]), tuple(spec["udp"]), TcpMode.SYN, False
    )
    started = time.perf_counter()
    outcome = asyncio.run(
        run_scan(plan, adhoc_scope(LabPermission("benchmark")), HOSPITAL, list_limit=100)
    )
    json.dump(
        {
            "seconds": time.perf_counter() - started,
            "open": sum(len(h.open_ports()) for h in outcome.report.hosts),
            "changes": len(outcome.rate_changes),
        },
        sys.stdout,
    )


def run_kenshin(targets: list[str], tcp: list[int], udp: list[int]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"targets": targets, "tcp": tcp, "udp": udp}, handle)
    try:
        result = subprocess.run(
            [sys.executable, __file__, "--child", handle.name],
            capture_output=True,
            text=True,
            timeout=7200,
            check=True,
            env=dict(os.environ, KENSHIN_STOP_FILE=handle.name + ".stop"),
        )
    finally:
        os.unlink(handle.name)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def run_nmap(targets: list[str], udp: list[int]) -> dict[str, Any]:
    ports = "T:1-65535,U:" + ",".join(map(str, udp))
    started = time.perf_counter()
    result = subprocess.run(
        ["nmap", "-n", "-v", "-sS", "-sU", "-p", ports, *targets],
        capture_output=True,
        text=True,
        timeout=7200,
        check=True,
    )
    seconds = time.perf_counter() - started
    sent = re.search(r"Raw packets sent: (\d+)", result.stdout)
    return {"seconds": seconds, "packets": int(sent.group(1)) if sent else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[2])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(json.loads(Path(args.child).read_text("utf-8")))
        return
    from kenshin.lab import Lab
    from kenshin.scan import HOSPITAL
    from kenshin.scan.plan import default_ports

    tcp_all, udp_top = default_ports()
    tcp, udp = list(tcp_all), list(udp_top)
    loads = [f"{os.getloadavg()[0]:.1f}"]
    rows = []
    with Lab.start("bench") as lab:
        addresses = [lab.hosts[role].address for role in ROLES]
        for count in args.hosts:
            targets = addresses[:count]
            if len(targets) < count:
                raise SystemExit(f"the bench lab has only {len(targets)} addresses to scan")
            nmap_runs, kenshin_runs = [], []
            for _ in range(args.runs):
                nmap_runs.append(run_nmap(targets, udp))
                loads.append(f"{os.getloadavg()[0]:.1f}")
                kenshin_runs.append(run_kenshin(targets, tcp, udp))
                loads.append(f"{os.getloadavg()[0]:.1f}")
            nmap_s = statistics.median(r["seconds"] for r in nmap_runs)
            kenshin_s = statistics.median(r["seconds"] for r in kenshin_runs)
            nmap_pps = statistics.median(r["packets"] for r in nmap_runs) / count / nmap_s
            ports = len(tcp) + len(udp)
            rows.append(
                f"| {count} | {nmap_s:.0f} | {nmap_pps:.0f} | {kenshin_s:.0f} | "
                f"{ports / kenshin_s:.0f} (ceiling {HOSPITAL.ceiling(count) / count:.0f}) | "
                f"{kenshin_s / nmap_s:.2f} | "
                f"{statistics.median(r['changes'] for r in kenshin_runs):.0f} |"
            )
    body = "\n".join(
        [
            "## Full coverage in the hospital profile (`bench/coverage.py`)",
            "",
            f"Every TCP port and the top 100 UDP ports per address; kenshin in the hospital "
            f"profile (SYN, at most {HOSPITAL.target_rate:.0f} probes/s per address and "
            f"{HOSPITAL.rate:.0f}/s in all, adaptive) against "
            "`nmap -n -sS -sU -pT:1-65535,U:<the same 100>` at nmap's default timing, on the "
            "lab's `bench` hosts (web, infra, edge, fw, then the `wide` and `sweep` hosts' own "
            f"addresses), one after the other in the same run; medians of {args.runs} "
            f"run(s). Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Load "
            f"average (1 min) during the runs: {', '.join(loads)} — the machine is shared.",
            "",
            "| addresses | nmap s | nmap packets/target/s | kenshin s | kenshin probes/target/s "
            "| kenshin / nmap | rate changes |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "kenshin's figure is ports probed per address per second (first sends; its "
            "ceiling is the profile's per-address rate); nmap's is the raw packets "
            "it reports sending (`-v`), per address per second. The hospital profile is "
            "paced on purpose: the point of the row is that full coverage of a hospital's "
            "few addresses ends well inside one night window, and how much gentler it is "
            "on each target than nmap's default.",
        ]
    )
    print(body)
    if not args.no_write:
        write_section("coverage", body)


if __name__ == "__main__":
    main()
