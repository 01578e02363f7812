"""Diagnosis benchmark: kenshin's identification + checks vs nmap's safe scripts, same ports.

Builds the lab's ``test`` profile (vulnerable services beside hardened twins), takes the
open ports of the diagnosis hosts, and in the same run measures
``nmap -sV --script "(default or auth or vuln or malware) and not (brute or dos or
intrusive)"`` against kenshin's identification and checks on exactly those ports.
It compares the issues each found, lists the lab's false-positive traps (the hardened
twins) and counts the connections each check family made. Needs root (the lab) and
Debian's nmap. Writes its table into docs/benchmarks.md.

    sudo .venv/bin/python bench/diagnosis.py [--runs 3] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from _doc import write_section
from defusedxml import ElementTree as ET  # noqa: N817

ROOT = Path(__file__).resolve().parents[1]
HOSTS = ("vuln", "hard", "misc", "udp", "forti", "ivanti")
SCRIPTS = "(default or auth or vuln or malware) and not (brute or dos or intrusive)"

# What an nmap script's output means, as the issue kenshin names: (script, text in the
# output or "" for "any output") -> issue. Only outputs that state a problem count.
NMAP_ISSUES: list[tuple[str, str, str]] = [
    ("ftp-anon", "Anonymous FTP login allowed", "account.ftp_anonymous"),
    ("dns-recursion", "Recursion appears to be enabled", "exposure.dns_open_recursion"),
    ("snmp-sysdescr", "", "account.snmp_default_community"),
    ("redis-info", "Version", "account.no_authentication"),
    ("memcached-info", "", "account.no_authentication"),
    ("mongodb-databases", "", "account.no_authentication"),
    ("mongodb-info", "", "account.no_authentication"),
    ("docker-version", "", "account.no_authentication"),
    ("vnc-info", "None", "account.no_authentication"),
    ("ssl-dh-params", "VULNERABLE", "configuration.tls_weak_cipher"),
    ("ssl-poodle", "VULNERABLE", "configuration.tls_old_protocol"),
    ("sslv2", "SSLv2 supported", "configuration.tls_old_protocol"),
    ("ntp-monlist", "", "exposure.ntp_amplification"),
    ("http-vuln-cve2018-13379", "VULNERABLE", "vulnerability.cve"),
    ("http-vuln-cve2019-11510", "VULNERABLE", "vulnerability.cve"),
]
# The lab's hardened twins: a finding of these families there would be a false positive.
TRAPS = {
    "ssh-modern": (
        "configuration.ssh_weak_algorithms",
        "configuration.ssh_terrapin",
        "vulnerability.cve",
    ),
    "ftp-closed": ("account.ftp_anonymous",),
    "snmp-random": ("account.snmp_default_community",),
    "dns-refusing": ("exposure.dns_open_recursion",),
    "tls-modern": ("configuration.tls_old_protocol", "configuration.tls_weak_cipher"),
    "redis-auth": ("account.no_authentication",),
    "line-service": ("backdoor.bind_shell",),
    "http-login-changed": ("account.default_credentials",),
    "ntp-hard": ("exposure.ntp_amplification",),
}


@dataclass(frozen=True)
class Issue:
    address: str
    protocol: str
    port: int
    kind: str


def open_services(lab: Any) -> list[Any]:
    from kenshin.domain import PortState

    return [
        s
        for s in lab.services
        if s.role in HOSTS and lab.expected_state(s.address, s.protocol, s.port) is PortState.OPEN
    ]


def run_nmap(services: list[Any]) -> tuple[float, set[Issue]]:
    """One nmap per address with that address's ports, all at once; until the last ends."""
    by_address: dict[str, list[Any]] = defaultdict(list)
    for service in services:
        by_address[service.address].append(service)
    commands = []
    for address, own in by_address.items():
        tcp = sorted({s.port for s in own if s.protocol.value == "tcp"})
        udp = sorted({s.port for s in own if s.protocol.value == "udp"})
        ports = ",".join([f"T:{p}" for p in tcp] + [f"U:{p}" for p in udp])
        command = [
            "nmap",
            "-Pn",
            "-n",
            "-T4",
            "-sV",
            "--script",
            SCRIPTS,
            "-p",
            ports,
            "-oX",
            "-",
            *(["-sS"] if tcp else []),
            *(["-sU"] if udp else []),
            address,
        ]
        commands.append(command)
    started = time.perf_counter()
    processes = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for c in commands
    ]
    try:
        outputs = [p.communicate(timeout=3600)[0] for p in processes]
    finally:
        for process in processes:  # stop exactly the scanners this run started
            if process.poll() is None:
                process.kill()
                process.wait()
    elapsed = time.perf_counter() - started
    issues: set[Issue] = set()
    for output in outputs:
        for host in ET.fromstring(output).iter("host"):
            address = host.find("address").get("addr", "")
            for port in host.iter("port"):
                for script in port.iter("script"):
                    text = script.get("output", "")
                    for name, marker, kind in NMAP_ISSUES:
                        if script.get("id") == name and (not marker or marker in text):
                            issues.add(
                                Issue(
                                    address,
                                    port.get("protocol", ""),
                                    int(port.get("portid", 0)),
                                    kind,
                                )
                            )
    return elapsed, issues


def run_kenshin(lab: Any, services: list[Any]) -> tuple[float, set[Issue], list[Any]]:
    """Identification and every check on the same open ports, as ``kenshin scan`` runs them."""
    from kenshin.checks import CheckSettings, default_checks, diagnose
    from kenshin.domain import HostResult, PortResult, PortState
    from kenshin.identify import identify_host
    from kenshin.scope import Gate, Scope, ScopeTarget

    by_address: dict[str, list[PortResult]] = defaultdict(list)
    for service in services:
        by_address[service.address].append(
            PortResult(service.protocol, service.port, PortState.OPEN)
        )
    gate = Gate(Scope(None, tuple(ScopeTarget(ip_address(a)) for a in lab.addresses)))
    settings = CheckSettings(login_delay=0.2, extra_ca_file=str(lab.ca_file))

    async def both() -> Any:
        identified = await asyncio.gather(
            *(identify_host(address, ports, gate=gate) for address, ports in by_address.items())
        )
        hosts = [
            HostResult(address, tuple(ports))
            for address, ports in zip(by_address, identified, strict=True)
        ]
        return await diagnose(hosts, default_checks(), gate=gate, settings=settings)

    started = time.perf_counter()
    result = asyncio.run(both())
    elapsed = time.perf_counter() - started
    issues = {
        Issue(
            f.subject.address or "",
            f.subject.protocol or "",
            f.subject.port or 0,
            "vulnerability.cve" if f.cves and f.category.value == "vulnerability" else f.check_id,
        )
        for f in result.findings
    }
    return elapsed, issues, list(result.stats)


def traps_hit(lab: Any, issues: set[Issue]) -> list[str]:
    hit = []
    for name, kinds in TRAPS.items():
        service = lab.service(name)
        for issue in issues:
            if (issue.address, issue.protocol, issue.port) == (
                service.address,
                service.protocol.value,
                service.port,
            ) and issue.kind in kinds:
                hit.append(f"{name}: {issue.kind}")
    return hit


def render(
    nmap_times: list[float],
    kenshin_times: list[float],
    nmap_issues: set[Issue],
    kenshin_issues: set[Issue],
    nmap_traps: list[str],
    kenshin_traps: list[str],
    stats: list[Any],
    services: int,
) -> str:
    nmap_median = statistics.median(nmap_times)
    kenshin_median = statistics.median(kenshin_times)
    met = "✅" if kenshin_median <= 0.5 * nmap_median else "❌"
    missed = sorted(i for i in nmap_issues if i not in kenshin_issues)
    only_kenshin = kenshin_issues - nmap_issues
    nmap_version = subprocess.run(
        ["nmap", "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[0]
    lines = [
        "## Diagnosis (`bench/diagnosis.py`)",
        "",
        f"Machine: {os.cpu_count()} CPU, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}; {nmap_version}. Date: {datetime.now(UTC):%Y-%m-%d %H:%M} "
        f"UTC. Load average before the runs: {os.getloadavg()[0]:.1f}. "
        f"{len(nmap_times)} runs each, alternating, on the lab `test` profile's diagnosis "
        f"hosts ({', '.join(HOSTS)}): {services} open ports.",
        "",
        "| measurement | nmap (peer) | kenshin | ratio | target |",
        "|---|---:|---:|---:|---:|",
        f"| wall time, identification + checks (median s) | {nmap_median:.1f} "
        f'(`nmap -sV --script "{SCRIPTS}"`) | {kenshin_median:.1f} | '
        f"{kenshin_median / nmap_median:.3f} {met}"
        f" | ≤ 0.5 |",
        f"| issues found (address, port, kind) | {len(nmap_issues)} | {len(kenshin_issues)} | "
        f"- | ≥ nmap's |",
        f"| nmap's issues kenshin also found | - | {len(nmap_issues) - len(missed)} of "
        f"{len(nmap_issues)} | - | all |",
        f"| false-positive traps hit (hardened twins) | {len(nmap_traps)} | "
        f"{len(kenshin_traps)} | - | 0 |",
        "",
        f"Runs (s): nmap {', '.join(f'{t:.1f}' for t in nmap_times)}; "
        f"kenshin {', '.join(f'{t:.1f}' for t in kenshin_times)}.",
        "",
    ]
    if missed:
        lines += [
            "nmap found, kenshin did not: "
            + "; ".join(f"{i.address}:{i.port}/{i.protocol} {i.kind}" for i in missed),
            "",
        ]
    kinds: dict[str, int] = defaultdict(int)
    for issue in only_kenshin:
        kinds[issue.kind] += 1
    lines += [
        "Found by kenshin only, by kind: "
        + ", ".join(f"{kind} ×{count}" for kind, count in sorted(kinds.items()))
        + ".",
        "",
    ]
    lines += ["| check family | runs | connections | login attempts |", "|---|---:|---:|---:|"]
    lines += [f"| {s.family} | {s.runs} | {s.connections} | {s.login_attempts} |" for s in stats]
    lines += [
        "",
        "How issues are compared: an nmap script counts only when its output states "
        "the problem (table `NMAP_ISSUES` in the script); kenshin's findings count by "
        "check id, CVE findings as one kind. nmap's safe script set does not run TLS "
        "protocol enumeration, login attempts or NTP monlist (those are `intrusive`), "
        "which is most of what only kenshin reports.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if shutil.which("nmap") is None or os.geteuid() != 0:
        print("needs root (the lab) and Debian's nmap", file=sys.stderr)
        return 2
    from kenshin.lab import Lab

    with Lab.start("test") as lab:
        services = open_services(lab)
        nmap_times, kenshin_times = [], []
        nmap_issues: set[Issue] = set()
        kenshin_issues: set[Issue] = set()
        stats: list[Any] = []
        for _ in range(args.runs):
            elapsed, nmap_issues = run_nmap(services)
            nmap_times.append(elapsed)
            elapsed, kenshin_issues, stats = run_kenshin(lab, services)
            kenshin_times.append(elapsed)
        section = render(
            nmap_times,
            kenshin_times,
            nmap_issues,
            kenshin_issues,
            traps_hit(lab, nmap_issues),
            traps_hit(lab, kenshin_issues),
            stats,
            len(services),
        )
    print(section)
    if not args.no_write:
        write_section("diagnosis", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
