"""Port-scan benchmark: kenshin against nmap on the lab's ``bench`` profile, same run.

One command (as root, nmap installed)::

    .venv/bin/python bench/scan.py            # 3 runs of each measurement
    .venv/bin/python bench/scan.py --runs 5

It starts the lab (four hosts, one behind a dropping firewall, and a ``sweep`` host
answering on a /18), then for each measurement runs nmap and kenshin on the same hosts and the
same ports, one after the other, ``--runs`` times, and writes the medians, the spread
and the accuracy against the lab's ground truth into ``docs/benchmarks.md`` (between
the ``bench:scan`` markers; the many-address rows and the hospital profile's
per-target rates, ``--only wide``, between ``bench:scan-wide``). Every kenshin run
happens in a child process so that its peak memory (``ru_maxrss``) is its own. nmap
always runs with ``-n`` so it sends no DNS queries, and every target is a lab address
in 198.18.0.0/15.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from _doc import write_section

HOST_ROLES = ("web", "infra", "edge", "fw")
POLITE_TARGETS = (4, 16, 64)
EVENT_LOOP: set[str] = set()
"""Scan kinds whose process ran an event loop (asyncio), for the notes."""


CHILD = Path(__file__).with_name("_scan_child.py")


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
            [sys.executable, str(CHILD), handle.name],
            env=dict(os.environ, KENSHIN_STOP_FILE=str(Path(handle.name).with_suffix(".stop"))),
        )
    finally:
        os.unlink(handle.name)
    data: dict[str, Any] = {}
    found: dict[str, list[list[Any]]] = {}
    for line in result.stdout.splitlines():  # one line per host as it finished, then the summary
        item = json.loads(line)
        if "host" in item:
            found[item["host"]] = item["found"]
        else:
            data = item
    data["found"] = found
    data["maxrss_kib"] = peak
    data["wall"] = wall
    if data["event_loop"]:
        EVENT_LOOP.add(spec.get("mode", "udp") if spec.get("tcp") else "udp")
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


def same_open(
    ours: dict[str, list[list[Any]]], theirs: dict[str, list[list[Any]]]
) -> tuple[str, str]:
    """Whether both scanners report the same open (address, protocol, port) set."""

    def opened(found: dict[str, list[list[Any]]]) -> set[tuple[str, str, int]]:
        return {
            (a, proto, port)
            for a, ports in found.items()
            for proto, port, state in ports
            if state == "open"
        }

    mine, peer = opened(ours), opened(theirs)
    if mine == peer:
        return f"same {len(mine):,} open", f"same {len(peer):,} open"
    return (
        f"{len(mine):,} open, {len(mine - peer)} not in nmap's",
        f"{len(peer):,} open, {len(peer - mine)} not in kenshin's",
    )


# -- politeness: probes per target, seen on the wire -----------------------------------


@dataclass
class Politeness:
    targets: int
    probes: int
    seconds: float
    fleet_rate: float
    busiest_target_second: int
    mean_target_rate: float


def politeness(link: str, addresses: list[str], ports: list[int]) -> Politeness:
    """Run a hospital-profile SYN scan and count its SYNs per target on the lab's uplink.

    An AF_PACKET socket on the root side of the lab's uplink sees every outgoing frame;
    SYNs (no ACK) are counted per destination and per whole second since the first one,
    so the busiest second of any target is the per-target rate the hospital saw.
    """
    import socket
    import threading

    # ETH_P_ALL: the kernel shows outgoing frames only to sockets of every protocol
    sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sniffer.bind((link, 0x0003))
    sniffer.settimeout(0.2)
    seen: list[tuple[float, bytes]] = []
    done = threading.Event()

    def listen() -> None:
        while not done.is_set():
            try:
                frame, meta = sniffer.recvfrom(128)
            except TimeoutError:
                continue
            if meta[2] != socket.PACKET_OUTGOING or len(frame) < 14 + 20 + 14:
                continue
            if frame[12:14] != b"\x08\x00":  # IPv4 only
                continue
            ip = frame[14:]
            ihl = (ip[0] & 0x0F) * 4
            if ip[9] == 6 and ip[ihl + 13] & 0x12 == 0x02:
                seen.append((time.monotonic(), ip[16:20]))

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    try:
        run_kenshin({"targets": addresses, "tcp": ports, "mode": "syn", "profile": "hospital"})
    finally:
        done.set()
        thread.join(timeout=2)
        sniffer.close()
    if not seen:
        raise RuntimeError(f"no SYN seen on {link}")
    first = seen[0][0]
    per_second: dict[tuple[bytes, int], int] = {}
    for stamp, destination in seen:
        key = (destination, int(stamp - first))
        per_second[key] = per_second.get(key, 0) + 1
    span = max(seen[-1][0] - first, 1e-6)
    return Politeness(
        targets=len(addresses),
        probes=len(seen),
        seconds=span,
        fleet_rate=len(seen) / span,
        busiest_target_second=max(per_second.values()),
        mean_target_rate=len(seen) / span / len(addresses),
    )


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


def measure(
    runs: int, quick: bool, only: str = "all", wide_runs: int = 1
) -> tuple[list[Row], list[Row], list[Politeness], dict[str, str], list[str]]:
    from kenshin.domain import Protocol
    from kenshin.lab import Lab
    from kenshin.scan import ranked_ports, top_ports

    info = machine()
    loads: list[str] = [f"{os.getloadavg()[0]:.1f}"]
    rows: list[Row] = []
    wide_rows: list[Row] = []
    polite: list[Politeness] = []
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
            into: list[Row] = rows,
            times: int = runs,
        ) -> None:
            row = Row(name, "nmap " + " ".join(peer_args), target=target, note=note)
            for index in range(times):
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
            else:
                row.our_accuracy, row.their_accuracy = same_open(ours["found"], theirs["found"])
            into.append(row)
            print(
                f"{name}: kenshin {median(row.ours):.2f}s nmap {median(row.theirs):.2f}s",
                file=sys.stderr,
            )

        if only in ("all", "hosts"):
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
        if only in ("all", "wide"):
            sweep = lab.hosts["sweep"]
            block = IPv4Network(sweep.prefixes[0])
            top100 = list(top_ports(Protocol.TCP, 100))
            tcp_peer = ["-sS", "-T4", "-Pn", f"-p{','.join(map(str, top100))}"]
            for size, syn_target, times in ((1024, 0.75, runs), (16384, 0.6, wide_runs)):
                part = next(block.subnets(new_prefix=32 - (size.bit_length() - 1)))
                addresses = [str(a) for a in part]
                for mode, target in (
                    ("syn", syn_target),
                    ("connect", 1.0 if size == 1024 else None),
                ):
                    compare(
                        f"{size:,} addresses × TCP top 100, {mode} (lab profile)",
                        tcp_peer,
                        {"targets": addresses, "tcp": top100, "mode": mode, "profile": "lab"},
                        "tcp",
                        target,
                        peer_targets=[str(part)],
                        into=wide_rows,
                        times=times,
                    )
        if only in ("all", "wide", "udp"):
            block = IPv4Network(lab.hosts["sweep"].prefixes[0])
            top20 = list(top_ports(Protocol.UDP, 20))
            part = next(block.subnets(new_prefix=22))
            compare(
                "1,024 addresses × UDP top 20 (lab profile)",
                ["-sU", "-T4", "-Pn", f"-p{','.join(map(str, top20))}"],
                {"targets": [str(a) for a in part], "udp": top20, "profile": "lab"},
                "udp",
                None,
                peer_targets=[str(part)],
                into=wide_rows,
            )
        if only in ("all", "wide", "polite"):
            # ports 1-1,000: a few seconds per target at its rate, so whole seconds count
            block = IPv4Network(lab.hosts["sweep"].prefixes[0])
            first1000 = list(range(1, 1001))
            link = f"ksn{lab.slot}-up"
            for count in POLITE_TARGETS:
                addresses = [str(a) for a in block][:count]
                polite.append(politeness(link, addresses, first1000))
                loads.append(f"{os.getloadavg()[0]:.1f}")
    return rows, wide_rows, polite, info, loads


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
        "purpose; the UDP peer's spread is nmap waiting on ICMP rate limits that vary from"
        " run to run. Many addresses: see the next section.",
    ]
    return "\n".join(lines) + "\n"


def idle_peak() -> int:
    """Peak RSS (KiB) of the benchmark's child process importing the engine and exiting."""
    _wall, peak, _result = timed(
        [
            sys.executable,
            "-c",
            "from kenshin.scan import HOSPITAL, LAB, ScanPlan, TcpMode, scan_blocking\n"
            "from kenshin.scope import LabPermission, adhoc_scope\n"
            "import kenshin.scan.tcp_syn, json",
        ]
    )
    return peak


def render_wide(
    rows: list[Row],
    info: dict[str, str],
    loads: list[str],
    runs: int,
    idle_kib: int,
) -> str:

    lines = [
        "## Port scan over many addresses (`bench/scan.py --only wide`)",
        "",
        f"Machine: {info['cpu']}, Linux {info['kernel']}, Python {info['python']}; "
        f"{info['nmap']}; kenshin {info['kenshin']}. Date: {info['date']}. nmap and kenshin "
        "alternate in the same run of the lab `bench` profile, on its `sweep` host: one "
        "namespace with a local route for a /18 of 198.18.128.0/17, every address serving "
        "22, 80 and 443; every 16th address drops its other TCP ports (a filtering edge), "
        "the rest reset them; closed UDP ports answer with ICMP port unreachable (no ICMP "
        f"rate limit in that namespace). 1,024-address rows: median of {runs} runs; "
        "16,384-address rows: runs as listed. Load average (1 min) seen during the runs: "
        f"{', '.join(loads)} — the machine is shared with other engineers' work, so the "
        "ratios (same run, same load) are what count.",
        "",
        "| measurement | nmap (peer) | nmap s | kenshin s | ratio | target | runs | "
        "nmap peak RSS | kenshin peak RSS | open ports: kenshin | nmap |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        ratio = median(row.ours) / median(row.theirs) if row.theirs else float("nan")
        verdict = "" if row.target is None else (" ✅" if ratio <= row.target else " ❌")
        lines.append(
            f"| {row.name} | `{row.peer[:48]}{'…' if len(row.peer) > 48 else ''}` | "
            f"{median(row.theirs):.2f} {spread(row.theirs)} | "
            f"{median(row.ours):.2f} {spread(row.ours)} | {ratio:.3f}{verdict} | "
            f"{'≤ ' + str(row.target) + ' (of nmap SYN)' if row.target else '-'} | "
            f"{len(row.ours)} | "
            f"{max(row.their_rss) / 1024:.0f} MiB | {max(row.our_rss) / 1024:.0f} MiB | "
            f"{row.our_accuracy or '-'} | {row.their_accuracy or '-'} |"
        )
    lines += [
        "",
        "Connect rows are compared with nmap's SYN scan of the same addresses (nmap needs "
        "root for that; kenshin's connect mode does not). Peak RSS is the whole scanning "
        "process's maximum resident set size (GNU time; it starts no other process): "
        "`bench/_scan_child.py`, which imports only what a scan needs, calls "
        "`kenshin.scan.scan_blocking` and writes each host's result as a JSON line when the "
        "engine hands it over (a host sink: nothing holds the whole report). A scan (SYN, "
        "connect or UDP) runs there in threads without an event "
        f"loop; {', '.join(sorted(EVENT_LOOP)) or 'no'} rows ran asyncio's event loop. The "
        f"same process that has imported the engine and exits at once peaks at "
        f"{idle_kib / 1024:.1f} MiB (measured in this run), so the rest of each figure is the "
        "scan itself.",
    ]
    return "\n".join(lines) + "\n"


def render_polite(polite: list[Politeness], info: dict[str, str], loads: list[str]) -> str:
    from kenshin.scan import HOSPITAL

    lines = [
        "### Politeness of the hospital profile (`bench/scan.py --only polite`)",
        "",
        f"Date: {info['date']}; load average (1 min) seen: {', '.join(loads)}. A SYN scan "
        "of TCP ports 1-1,000 in the hospital profile (at most "
        f"{HOSPITAL.target_rate:.0f} probes/s to any one address, {HOSPITAL.rate:.0f}/s in "
        "all) of the first addresses of the `sweep` host (every 16th one silent on its "
        "closed ports, so it gets a retry pass). Every SYN kenshin sent was counted on the "
        "wire (an AF_PACKET socket on the lab's uplink), per target and per whole second "
        "since the first; seconds is from the first SYN to the last:",
        "",
        "| targets | SYNs seen | seconds | fleet probes/s | fleet ceiling | busiest second of any "
        "one target | mean probes/s per target |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in polite:
        verdict = "✅" if p.busiest_target_second <= HOSPITAL.target_rate else "❌"
        lines.append(
            f"| {p.targets} | {p.probes:,} | {p.seconds:.1f} | {p.fleet_rate:.0f} | "
            f"{HOSPITAL.ceiling(p.targets):.0f} | {p.busiest_target_second} {verdict} | "
            f"{p.mean_target_rate:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="ports 1-2000 only (a smoke run)")
    parser.add_argument("--no-write", action="store_true", help="print, do not edit the doc")
    parser.add_argument(
        "--only",
        choices=("all", "hosts", "wide", "polite", "udp"),
        default="all",
        help="hosts: the four-host rows; wide: the 1,024/16,384-address rows and the "
        "politeness rows; polite: only the hospital profile's politeness rows; udp: only "
        "the 1,024-address UDP row (printed, not written: the section holds the TCP rows)",
    )
    parser.add_argument(
        "--wide-runs", type=int, default=1, help="runs of each 16,384-address measurement"
    )
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/scan.py needs root: the lab uses network namespaces, SYN uses raw sockets")
    if shutil.which("nmap") is None:
        sys.exit("nmap is not installed (Debian package nmap, scripts/apt-packages.txt)")
    runs = max(1, args.runs)
    rows, wide_rows, polite, info, loads = measure(
        runs, args.quick, args.only, max(1, args.wide_runs)
    )
    if rows:
        section = render(rows, info, loads, runs)
        print(section)
        if not args.no_write:
            write_section("scan", section)
    if wide_rows:
        section = render_wide(wide_rows, info, loads, runs, idle_peak())
        print(section)
        if not args.no_write and args.only != "udp":
            write_section("scan-wide", section)
    if polite:
        section = render_polite(polite, info, loads)
        print(section)
        if not args.no_write:
            write_section("scan-polite", section)


if __name__ == "__main__":
    main()
