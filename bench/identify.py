"""Benchmark: kenshin's service identification against ``nmap -sV`` on the lab.

One command (as root, the lab needs network namespaces)::

    .venv/bin/python bench/identify.py [--runs 3] [--profile bench] [--no-write]

Starts the lab profile, takes its reachable TCP and UDP services (the ground truth,
``lab.services``), and in the same run measures, alternately, ``identify_host`` on those
ports (LAB_SETTINGS) and ``nmap -sV -T4 -Pn -n`` on the very same ports. It counts
correct service names and correct product/versions for both, and writes a Markdown table
between the ``bench:identify`` markers of docs/benchmarks.md (median wall time of the
runs, their spread, the machine and its load).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _doc import write_section

from kenshin.domain.scan import PortResult, PortState, Protocol
from kenshin.identify import LAB_SETTINGS, identify_host
from kenshin.scope import Gate, LabPermission

LAB_GATE = Gate.adhoc(lab=LabPermission(), action="bench.identify")
ROOT = Path(__file__).resolve().parents[1]
ALIASES = {"memcached": "memcache", "mdns": "zeroconf", "ssl/http": "https", "ssl/https": "https"}


@dataclass(frozen=True)
class Seen:
    service: str
    product: str
    version: str


def _norm(service: str) -> str:
    return ALIASES.get(service, service)


def _version_text(version: str) -> str:
    """Versions compared without separators: nmap writes Debian's OpenSSH suffix as
    "Debian 2+deb12u10", the banner (and the ground truth) as "Debian-2+deb12u10"."""
    return "".join(ch for ch in version if ch not in " -_")


def score(truth: list[Any], seen: dict[tuple[str, str, int], Seen]) -> tuple[int, int, int, int]:
    """(correct services, services, correct product/versions, product/versions to find)."""
    right_service = right_product = wanted_product = 0
    for service in truth:
        got = seen.get((service.address, str(service.protocol), service.port))
        if got is not None and _norm(got.service) == _norm(service.service):
            right_service += 1
        if service.product:
            wanted_product += 1
            if (
                got is not None
                and service.product.lower() in got.product.lower()
                and (
                    not service.version
                    or _version_text(service.version) in _version_text(got.version)
                )
            ):
                right_product += 1
    return right_service, len(truth), right_product, wanted_product


def run_kenshin(truth: list[Any]) -> tuple[float, dict[tuple[str, str, int], Seen]]:
    ports: dict[str, list[PortResult]] = defaultdict(list)
    for service in truth:
        ports[service.address].append(
            PortResult(Protocol(str(service.protocol)), service.port, PortState.OPEN)
        )

    async def go() -> list[tuple[str, tuple[PortResult, ...]]]:
        results = await asyncio.gather(
            *(identify_host(a, p, LAB_SETTINGS, gate=LAB_GATE) for a, p in ports.items())
        )
        return list(zip(ports, results, strict=True))

    started = time.perf_counter()
    results = asyncio.run(go())
    elapsed = time.perf_counter() - started
    seen = {}
    for address, host_ports in results:
        for port in host_ports:
            if port.identity is not None:
                seen[(address, port.protocol.value, port.port)] = Seen(
                    port.identity.service, port.identity.product, port.identity.version
                )
    return elapsed, seen


def _nmap_command(services: list[Any], address: str) -> list[str]:
    tcp = sorted({s.port for s in services if str(s.protocol) == "tcp"})
    udp = sorted({s.port for s in services if str(s.protocol) == "udp"})
    spec = ",".join([f"T:{p}" for p in tcp] + [f"U:{p}" for p in udp])
    command = ["nmap", "-sV", "-T4", "-Pn", "-n", "-p", spec, "-oX", "-"]
    command += ["-sS"] if tcp else []
    command += ["-sU"] if udp else []
    return [*command, address]


def run_nmap(truth: list[Any]) -> tuple[float, dict[tuple[str, str, int], Seen]]:
    """One nmap per address with exactly that address's ports, all at once (as kenshin
    identifies all hosts at once): the wall time is until the last one ends."""
    by_address: dict[str, list[Any]] = defaultdict(list)
    for service in truth:
        by_address[service.address].append(service)
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            _nmap_command(services, address),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for address, services in by_address.items()
    ]
    try:
        outputs = [process.communicate(timeout=3600)[0] for process in processes]
    finally:
        for process in processes:  # stop exactly the scanners this run started
            if process.poll() is None:
                process.kill()
                process.wait()
    elapsed = time.perf_counter() - started
    seen: dict[tuple[str, str, int], Seen] = {}
    for output in outputs:
        for host in ET.fromstring(output).iter("host"):
            address = host.find("address")
            if address is None:
                continue
            for port in host.iter("port"):
                service = port.find("service")
                if service is None:
                    continue
                name = service.get("name", "")
                if service.get("tunnel") == "ssl" and name == "http":
                    name = "https"
                key = (
                    address.get("addr", ""),
                    port.get("protocol", ""),
                    int(port.get("portid", 0)),
                )
                seen[key] = Seen(name, service.get("product", ""), service.get("version", ""))
    return elapsed, seen


def _open_truth(lab: Any) -> list[Any]:
    from kenshin.lab._model import expected_state

    hosts = {host.role: host for host in lab.hosts.values()}
    # Each service once, at its host's main address (the /22 host's other 1,023
    # addresses serve the same daemons: they measure scanning, not identification).
    return [
        s
        for s in lab.services
        if s.role in hosts
        and s.address == hosts[s.role].address
        and expected_state(hosts[s.role], lab.services, s.protocol, s.port, s.address)
        is PortState.OPEN
    ]


def _machine() -> str:
    nmap = subprocess.run(["nmap", "--version"], capture_output=True, text=True, check=False)
    nmap_version = nmap.stdout.splitlines()[0] if nmap.stdout else "nmap ?"
    return (
        f"{platform.node()}: {os.cpu_count()} CPU, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {nmap_version}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", default="bench")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if shutil.which("nmap") is None:
        print("nmap is not installed (Debian package nmap)", file=sys.stderr)
        return 2
    from kenshin.lab import Lab

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # leave through the finally below: the lab is closed

    signal.signal(signal.SIGTERM, _stop)
    load_before = os.getloadavg()
    lab = Lab.start(args.profile)
    try:
        truth = _open_truth(lab)
        kenshin_times: list[float] = []
        nmap_times: list[float] = []
        kenshin_seen: dict[tuple[str, str, int], Seen] = {}
        nmap_seen: dict[tuple[str, str, int], Seen] = {}
        for _ in range(args.runs):
            elapsed, kenshin_seen = run_kenshin(truth)
            kenshin_times.append(elapsed)
            elapsed, nmap_seen = run_nmap(truth)
            nmap_times.append(elapsed)
    finally:
        lab.close()
    load_after = os.getloadavg()
    k_score, n_score = score(truth, kenshin_seen), score(truth, nmap_seen)
    k_median, n_median = statistics.median(kenshin_times), statistics.median(nmap_times)
    misses = [
        f"{s.name or s.role} {s.port}/{s.protocol}: truth {s.service} {s.product} {s.version} | "
        f"kenshin {kenshin_seen.get((s.address, str(s.protocol), s.port))} | "
        f"nmap {nmap_seen.get((s.address, str(s.protocol), s.port))}"
        for s in truth
    ]
    text = "\n".join(
        [
            "## Service identification: kenshin vs `nmap -sV`",
            "",
            f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {_machine()}; lab profile "
            f"`{args.profile}`, {len(truth)} reachable services "
            f"({sum(1 for s in truth if str(s.protocol) == 'tcp')} TCP, "
            f"{sum(1 for s in truth if str(s.protocol) == 'udp')} UDP) on "
            f"{len({s.address for s in truth})} addresses. {args.runs} runs, alternating. "
            f"Load average before/after: {load_before[0]:.2f}/{load_after[0]:.2f} "
            "(the machine is shared with other work; the spread says how noisy it was).",
            "",
            "| tool | median wall s | runs (s) | correct service names | correct product/version |",
            "|---|---|---|---|---|",
            f"| kenshin identify (LAB_SETTINGS) | {k_median:.2f} | "
            f"{', '.join(f'{t:.1f}' for t in kenshin_times)} | {k_score[0]}/{k_score[1]} | "
            f"{k_score[2]}/{k_score[3]} |",
            f"| nmap -sV -T4 (same ports) | {n_median:.2f} | "
            f"{', '.join(f'{t:.1f}' for t in nmap_times)} | {n_score[0]}/{n_score[1]} | "
            f"{n_score[2]}/{n_score[3]} |",
            "",
            f"**Ratio kenshin ÷ nmap: {k_median / n_median:.3f}** (target ≤ 0.25, with at least as "
            "many correct names and product/versions).",
            "",
            "<details><summary>Per service (last run)</summary>",
            "",
            *[f"- {line}" for line in misses],
            "",
            "</details>",
        ]
    )
    print(text)
    if not args.no_write:
        write_section("identify", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
