"""Port-scan benchmark: kenshin against nmap on the lab's ``bench`` profile, same run.

One command (as root, nmap installed)::

    .venv/bin/python bench/scan.py            # 3 runs of each measurement
    .venv/bin/python bench/scan.py --runs 5

It starts the lab (four hosts, one behind a dropping firewall, and a host answering
on a /22), then for each measurement runs nmap and kenshin on the same hosts and the
same ports, one after the other, ``--runs`` times, and writes the medians, the spread
and the accuracy against the lab's ground truth into ``docs/benchmarks.md`` (between
the ``bench:scan`` markers). Every kenshin run happens in a child process so that its
peak memory (``ru_maxrss``) is its own. nmap always runs with ``-n`` so it sends no
DNS queries, and every target is a lab address in 198.18.0.0/15.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import ip_network
from pathlib import Path
from typing import Any

from _doc import write_section

HOST_ROLES = ("web", "infra", "edge", "fw")


# -- the child: one kenshin scan, reported as JSON -----------------------------------


def child(spec: dict[str, Any]) -> None:
    from kenshin.domain import PortState, Protocol
    from kenshin.scan import HOSPITAL, LAB, ScanPlan, TcpMode, run_scan
    from kenshin.scope import LabPermission, adhoc_scope

    settings = LAB if spec["profile"] == "lab" else HOSPITAL
    plan = ScanPlan(
        tuple(spec["targets"]),
        tuple(spec.get("tcp", ())),
        tuple(spec.get("udp", ())),
        TcpMode(spec.get("mode", "connect")),
        identify=False,
    )
    started = time.perf_counter()
    outcome = asyncio.run(
        run_scan(plan, adhoc_scope(LabPermission("benchmark")), settings, list_limit=100)
    )
    elapsed = time.perf_counter() - started
    found: dict[str, list[list[Any]]] = {}
    for host in outcome.report.hosts:
        found[host.address] = [
            [p.protocol.value, p.port, p.state.value]
            for p in host.ports
            if p.state in (PortState.OPEN, PortState.OPEN_FILTERED)
            or (p.protocol is Protocol.UDP and p.state is PortState.CLOSED)
        ]
    json.dump(
        {
            "seconds": elapsed,
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "mode": outcome.tcp_mode.value if outcome.tcp_mode else "",
            "found": found,
            "udp_undetermined": outcome.udp.undetermined if outcome.udp else 0,
        },
        sys.stdout,
    )


def timed(command: list[str], **kwargs: Any) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    """Run ``command`` under GNU time: wall seconds, peak RSS in KiB, the finished process.

    GNU time is a small fresh process, so the peak RSS it reports is the command's own
    (``ru_maxrss`` survives fork and exec, so measuring from this Python process would
    count the parent's memory too).
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        started = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, *command],
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
            **kwargs,
        )
        elapsed = time.perf_counter() - started
        peak = int(Path(rss.name).read_text().strip().splitlines()[-1])
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-800:]}")
    return elapsed, peak, result


def run_kenshin(spec: dict[str, Any]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(spec, handle)
    try:
        wall, peak, result = timed(
            [sys.executable, __file__, "--child", handle.name],
            env=dict(os.environ, KENSHIN_STOP_FILE=str(Path(handle.name).with_suffix(".stop"))),
        )
    finally:
        os.unlink(handle.name)
    data: dict[str, Any] = json.loads(result.stdout)
    data["maxrss_kib"] = peak
    data["wall"] = wall
    return data


def run_nmap(arguments: list[str], targets: list[str]) -> dict[str, Any]:
    """Run nmap, return wall time, peak memory and the ports it reported."""
    from kenshin.scan import read_nmap_xml

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "nmap.xml"
        elapsed, peak, _result = timed(["nmap", "-n", *arguments, "-oX", str(out), *targets])
        imported = read_nmap_xml(out.read_bytes())
    found = {
        h.address: [[p.protocol.value, p.port, p.state.value] for p in h.ports]
        for h in imported.report.hosts
    }
    return {"seconds": elapsed, "maxrss_kib": peak, "found": found}


# -- accuracy --------------------------------------------------------------------------


@dataclass
class Accuracy:
    truth: int = 0
    found: int = 0
    false_open: int = 0
    missed: list[str] = field(default_factory=list)

    def text(self) -> str:
        share = 100.0 * self.found / self.truth if self.truth else 100.0
        missed = f" (missed {', '.join(self.missed[:4])})" if self.missed else ""
        return f"{self.found}/{self.truth} ({share:.0f} %), false open {self.false_open}{missed}"


def accuracy(
    found: dict[str, list[list[Any]]],
    truth: set[tuple[str, str, int]],
    protocol: str,
    targets: list[str],
) -> Accuracy:
    result = Accuracy(truth=len([t for t in truth if t[1] == protocol and t[0] in targets]))
    for address in targets:
        reported = {
            (address, proto, port)
            for proto, port, state in found.get(address, [])
            if proto == protocol and state == "open"
        }
        hits = {t for t in truth if t[0] == address and t[1] == protocol}
        result.found += len(reported & hits)
        result.false_open += len(reported - hits)
        result.missed += [f"{a}:{p}/{pr}" for a, pr, p in sorted(hits - reported)]
    return result


# -- the run ----------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    peer: str
    ours: list[float] = field(default_factory=list)
    theirs: list[float] = field(default_factory=list)
    our_rss: list[int] = field(default_factory=list)
    our_wall: list[float] = field(default_factory=list)
    their_rss: list[int] = field(default_factory=list)
    our_accuracy: str = ""
    their_accuracy: str = ""
    target: float | None = None
    note: str = ""


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return "-"
    middle = statistics.median(values)
    return f"±{100 * (max(values) - min(values)) / 2 / middle:.0f} %" if middle else "-"


def machine() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nmap_version = subprocess.run(
        ["nmap", "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[0]
    from kenshin import __version__

    return {
        "cpu": f"{cpu} × {os.cpu_count()}",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "nmap": nmap_version,
        "kenshin": __version__,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def measure(runs: int, quick: bool) -> tuple[list[Row], dict[str, str], list[str]]:
    from kenshin.domain import Protocol
    from kenshin.lab import Lab
    from kenshin.scan import ranked_ports, top_ports

    info = machine()
    loads: list[str] = [f"{os.getloadavg()[0]:.1f}"]
    rows: list[Row] = []
    with Lab.start("bench") as lab:
        targets = [lab.hosts[role].address for role in HOST_ROLES]
        truth = {
            (s.address, s.protocol.value, s.port) for s in lab.services if s.address in targets
        }
        fw = lab.hosts["fw"]
        if fw.firewall is not None:  # a firewalled port is not "truly open" from outside
            truth = {
                t
                for t in truth
                if t[0] != fw.address
                or (
                    (t[1] == "tcp" and t[2] in fw.firewall.tcp_accept)
                    or (t[1] == "udp" and t[2] in fw.firewall.udp_accept)
                )
            }
        all_ports = "1-65535" if not quick else "1-2000"
        tcp_ports = list(range(1, 65536)) if not quick else list(range(1, 2001))
        udp100 = list(top_ports(Protocol.UDP, 100))
        udp_list = ",".join(map(str, udp100))

        peer_cache: dict[tuple[tuple[str, ...], tuple[str, ...], int], dict[str, Any]] = {}

        def compare(
            name: str,
            peer_args: list[str],
            spec: dict[str, Any],
            protocol: str,
            target: float | None,
            peer_targets: list[str] | None = None,
            note: str = "",
        ) -> None:
            row = Row(name, "nmap " + " ".join(peer_args), target=target, note=note)
            for index in range(runs):
                key = (tuple(peer_args), tuple(peer_targets or spec["targets"]), index)
                if key not in peer_cache:  # rows with the same peer command share its runs
                    peer_cache[key] = run_nmap(peer_args, peer_targets or spec["targets"])
                theirs = peer_cache[key]
                ours = run_kenshin(spec)
                row.theirs.append(theirs["seconds"])
                row.their_rss.append(theirs["maxrss_kib"])
                row.ours.append(ours["seconds"])
                row.our_rss.append(ours["maxrss_kib"])
                row.our_wall.append(ours["wall"])
                loads.append(f"{os.getloadavg()[0]:.1f}")
            hosts = spec["targets"] if len(spec["targets"]) <= 8 else []
            if hosts:
                row.our_accuracy = accuracy(ours["found"], truth, protocol, hosts).text()
                row.their_accuracy = accuracy(theirs["found"], truth, protocol, hosts).text()
            rows.append(row)
            print(
                f"{name}: kenshin {median(row.ours):.2f}s nmap {median(row.theirs):.2f}s",
                file=sys.stderr,
            )

        compare(
            "TCP all ports, 4 hosts, SYN (lab profile)",
            ["-sS", "-T4", f"-p{all_ports}"],
            {"targets": targets, "tcp": tcp_ports, "mode": "syn", "profile": "lab"},
            "tcp",
            0.15,
        )
        compare(
            "TCP all ports, 4 hosts, connect (lab profile)",
            ["-sS", "-T4", f"-p{all_ports}"],
            {"targets": targets, "tcp": tcp_ports, "mode": "connect", "profile": "lab"},
            "tcp",
            0.75,
        )
        compare(
            "UDP top 100, 4 hosts (lab profile)",
            ["-sU", "-T4", f"-p{udp_list}"],
            {"targets": targets, "udp": udp100, "profile": "lab"},
            "udp",
            0.1,
            note="same 100 ports for both (kenshin's ranking), see notes",
        )
        ranked = list(ranked_ports(Protocol.TCP))
        compare(
            "TCP kenshin top list, 4 hosts, hospital profile",
            ["-sS", f"-p{','.join(map(str, ranked))}"],
            {"targets": targets, "tcp": ranked, "mode": "syn", "profile": "hospital"},
            "tcp",
            None,
            note=f"{len(ranked)} ports; polite defaults vs nmap's default timing (-T3)",
        )
        wide = lab.hosts.get("wide")
        if wide is not None and wide.prefixes:
            addresses = [str(a) for a in ip_network(wide.prefixes[0]).hosts()][:1024]
            top100 = list(top_ports(Protocol.TCP, 100))
            compare(
                "1,024 addresses × TCP top 100, SYN (lab profile)",
                ["-sS", "-T4", "-Pn", f"-p{','.join(map(str, top100))}"],
                {"targets": addresses, "tcp": top100, "mode": "syn", "profile": "lab"},
                "tcp",
                None,
                peer_targets=[wide.prefixes[0]],
                note="memory measurement",
            )
    return rows, info, loads


def render(rows: list[Row], info: dict[str, str], loads: list[str], runs: int) -> str:
    lines = [
        "## Port scan (`bench/scan.py`)",
        "",
        f"Machine: {info['cpu']}, Linux {info['kernel']}, Python {info['python']}; "
        f"{info['nmap']}; kenshin {info['kenshin']}. Date: {info['date']}. "
        f"Medians of {runs} runs each, nmap and kenshin alternating in the same run of the lab "
        f"`bench` profile. Load average (1 min) seen during the runs: {', '.join(loads)} — "
        "the machine is shared, so read the ± spread as the noise.",
        "",
        "| measurement | nmap (peer) | nmap s | kenshin s | ratio | target | kenshin process s | "
        "nmap peak RSS | kenshin peak RSS | open found / false open: kenshin | nmap |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        ratio = median(row.ours) / median(row.theirs) if row.theirs else float("nan")
        verdict = "" if row.target is None else (" ✅" if ratio <= row.target else " ❌")
        lines.append(
            f"| {row.name} | `{row.peer[:60]}{'…' if len(row.peer) > 60 else ''}` | "
            f"{median(row.theirs):.2f} {spread(row.theirs)} | "
            f"{median(row.ours):.2f} {spread(row.ours)} | {ratio:.3f}{verdict} | "
            f"{'≤ ' + str(row.target) if row.target else '-'} | {median(row.our_wall):.2f} | "
            f"{max(row.their_rss) / 1024:.0f} MiB | {max(row.our_rss) / 1024:.0f} MiB | "
            f"{row.our_accuracy or '-'} | {row.their_accuracy or '-'} |"
        )
    lines += [
        "",
        "Notes: UDP uses the same 100 ports for both scanners (kenshin's own ranking, passed "
        'to nmap with `-p`), so the work is identical. "kenshin s" is the scan itself (from '
        'the first probe to the finished report); "kenshin process s" adds starting the '
        "Python interpreter and importing kenshin in a fresh process. kenshin reports UDP "
        "ports that sent neither a reply nor an ICMP error as `open|filtered` after one re-"
        "probe instead of waiting out the ICMP rate limit; nmap waits it out. Peak RSS is the"
        " scanning process's own maximum resident set size, measured by GNU time. The "
        "hospital profile row shows the polite default (300 probes/s, 8 connections per host)"
        " next to nmap's default timing."
        " Rows without a target are for information: the hospital profile is paced on "
        "purpose, and the 1,024-address row is there for memory — kenshin keeps per-host "
        "state (a packet template, a set of answered ports, a table of 65,536 port states "
        "when a plan is large) as Python objects, which costs more per address than nmap's C "
        "structures; the UDP peer's spread is nmap waiting on ICMP rate limits that vary from"
        " run to run.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="ports 1-2000 only (a smoke run)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print, do not edit the doc")
    args = parser.parse_args()
    if args.child:
        child(json.loads(Path(args.child).read_text()))
        return
    if os.geteuid() != 0:
        sys.exit("bench/scan.py needs root: the lab uses network namespaces, SYN uses raw sockets")
    if shutil.which("nmap") is None:
        sys.exit("nmap is not installed (Debian package nmap, scripts/apt-packages.txt)")
    rows, info, loads = measure(max(1, args.runs), args.quick)
    section = render(rows, info, loads, max(1, args.runs))
    print(section)
    if not args.no_write:
        write_section("scan", section)


if __name__ == "__main__":
    main()
