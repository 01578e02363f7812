"""Benchmark: render every output of a large engagement's report.

An engagement with 50 connection points, 200 devices, 5 terminals and 2,000 findings
(synthetic, documentation addresses only) is rendered to report.pdf, report.html,
findings.xlsx, findings.json and defectdojo.json. Target: ≤ 15 s and ≤ 500 MB peak
resident memory.

The peer, measured in the same run on the same machine: WeasyPrint rendering a plain
HTML table of the same 2,000 findings (title, target, remediation) with no styling —
the floor any WeasyPrint-based report of this size stands on. Each measurement runs in
a fresh child process (so peak RSS is its own); medians of ``--runs`` runs.

    .venv/bin/python bench/report.py [--runs 3] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from ipaddress import ip_address
from pathlib import Path

from _doc import write_section

from kenshin import __version__
from kenshin.domain import (
    AddressAssignment,
    Confidence,
    ConnectionKind,
    ConnectionPoint,
    ContractHolder,
    Device,
    DeviceRole,
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    GlobalAddress,
    HolderKind,
    HostResult,
    Institution,
    PortResult,
    PortState,
    Protocol,
    ScanReport,
    ServiceIdentity,
    Severity,
    Terminal,
    TerminalRole,
    Vendor,
    VersionSource,
)
from kenshin.report import (
    AuditedTerminal,
    FirmwareRow,
    FirmwareStatus,
    KnowledgeVersion,
    ReportInput,
    TerminalVerdict,
    VerdictStatus,
    Versions,
    write_report,
)

POINTS, DEVICES, TERMINALS, FINDINGS = 50, 200, 5, 2000
SEVERITIES = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO]
KINDS = [ConnectionKind.INTERNET, ConnectionKind.REMOTE_MAINTENANCE, ConnectionKind.VPN,
         ConnectionKind.CLOSED_NETWORK, ConnectionKind.WIRELESS]  # fmt: skip
SERVICES = [(22, "ssh"), (23, "telnet"), (80, "http"), (443, "https"), (3389, "ms-wbt-server"),
            (8443, "https-alt"), (500, "isakmp"), (161, "snmp")]  # fmt: skip


def _address(i: int) -> str:
    return f"203.0.113.{i + 1}" if i < 200 else f"198.51.100.{i - 199}"


def big_input() -> ReportInput:
    vendors = tuple(Vendor(f"V-{i:02d}", f"架空ベンダ{i}株式会社") for i in range(10))
    points = []
    for i in range(POINTS):
        kind = KINDS[i % len(KINDS)]
        reachable = kind is not ConnectionKind.CLOSED_NETWORK
        points.append(
            ConnectionPoint(
                key=f"CP-{i + 1:02d}",
                name=f"回線{i + 1}（{kind.value}）",
                kind=kind,
                in_ehr_scope=kind is not ConnectionKind.WIRELESS,
                scope_reason="" if kind is not ConnectionKind.WIRELESS else "来院者用で分離",
                internet_reachable=reachable,
                carrier=f"架空通信{i % 7}",
                contract_holder=ContractHolder(HolderKind.VENDOR, f"V-{i % 10:02d}")
                if i % 2
                else ContractHolder(HolderKind.HOSPITAL),
                addresses=(
                    GlobalAddress(
                        ip_address(_address(i)),
                        AddressAssignment.FIXED if i % 3 else AddressAssignment.DYNAMIC,
                    ),
                )
                if reachable
                else (),
            )
        )
    roles = [DeviceRole.ROUTER, DeviceRole.UTM, DeviceRole.VPN_GATEWAY, DeviceRole.FIREWALL]
    devices = tuple(
        Device(
            key=f"DEV-{i + 1:03d}",
            name=f"機器{i + 1}",
            role=roles[i % 4],
            vendor=["Fortinet", "YAMAHA", "Ivanti", "NEC"][i % 4],
            model=f"Model-{i % 13}",
            firmware_version="" if i % 17 == 0 else f"7.{i % 5}.{i % 11}",
            version_source=VersionSource.NOT_OBTAINED if i % 17 == 0 else VersionSource.VENDOR,
            version_unavailable_reason="ベンダ回答待ち" if i % 17 == 0 else "",
            connection_points=(f"CP-{i // 4 + 1:02d}",),
            managed_by=ContractHolder(HolderKind.VENDOR, f"V-{i % 10:02d}"),
        )
        for i in range(DEVICES)
    )
    terminals = tuple(
        Terminal(f"T-{i + 1:02d}", f"PC-{i + 1:02d}", TerminalRole.EHR) for i in range(TERMINALS)
    )
    engagement = Engagement(
        code="bench-2000",
        title="ベンチマーク病院 健診",
        institution=Institution("ベンチマーク病院", "Benchmark Hospital"),
        vendors=vendors,
        connection_points=tuple(points),
        devices=devices,
        terminals=terminals,
        survey_start=datetime(2026, 12, 1).date(),
        survey_end=datetime(2026, 12, 4).date(),
    )
    # Realistic repetition: 60 CVEs spread over the devices, 8 kinds of exposure over the
    # addresses, 10 terminal checks — as a survey of many sites and devices would find.
    findings = []
    for n in range(FINDINGS):
        area, k = n % 3, n // 3  # k: 0..666 within each area; every finding is distinct
        if area == 0:
            family = (k // DEVICES) * 15 + k % 15  # 60 CVEs, never twice on one device
            subject = FindingSubject(device_key=f"DEV-{k % DEVICES + 1:03d}")
            cves: tuple[str, ...] = (f"CVE-2025-{10000 + family}",)
            check = "firmware.cve"
            title = f"ファームウェアの既知の脆弱性（{cves[0]}）"
        elif area == 1:
            family = k % len(SERVICES)
            port, service = SERVICES[family]
            subject = FindingSubject(address=_address(k % 40), port=port + k // 40,
                                     protocol="tcp")  # fmt: skip
            cves = ()
            check = f"exposure.{service}"
            title = f"{service} がインターネットに公開されている"
        else:
            family = k % 10
            subject = FindingSubject(terminal_key=f"T-{k % TERMINALS + 1:02d}")
            cves = ()
            check = f"terminal.patch.KB{5000000 + k}"  # one missing update per finding
            title = f"必要な更新プログラムが未適用（分類{family}）"
        findings.append(
            Finding(
                check_id=check,
                category=[
                    FindingCategory.VULNERABILITY,
                    FindingCategory.EXPOSURE,
                    FindingCategory.CONFIGURATION,
                ][area],
                severity=SEVERITIES[family % 5],
                title_ja=title,
                title_en=f"Synthetic finding family {area}.{family}",
                subject=subject,
                description_ja="ベンチマーク用に生成した説明文です。外部から悪用される恐れがあります。",
                remediation_ja="最新版に更新し、不要な公開を止めてください。",
                evidence=f"banner line {n}\nsecond line of evidence",
                cves=cves,
                kev=family % 23 == 0,
                cvss=None if family % 4 else 5.0 + family / 10,
                confidence=Confidence.HIGH,
            )
        )
    hosts = tuple(
        HostResult(
            _address(i),
            tuple(
                PortResult(
                    Protocol.TCP if port < 500 or port > 3000 else Protocol.UDP,
                    port,
                    PortState.OPEN if j % 2 == 0 else PortState.FILTERED,
                    identity=ServiceIdentity(service, f"Product {j}", f"{j}.0"),
                )
                for j, (port, service) in enumerate(SERVICES)
            ),
        )
        for i, point in enumerate(points)
        if point.internet_reachable
    )
    moment = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    firmware = tuple(
        FirmwareRow(d,
                    FirmwareStatus.VERSION_UNKNOWN if not d.firmware_version
                    else FirmwareStatus.AFFECTED if i % 3 == 0 else FirmwareStatus.NOT_AFFECTED,
                    (f"CVE-2025-{10000 + i}",) if i % 3 == 0 else (), i % 5 == 0, "8.0.1",
                    "更新してください。", "Update.")
        for i, d in enumerate(devices)
    )  # fmt: skip
    ok = TerminalVerdict(VerdictStatus.OK, "良好", "ok")
    terminal_rows = tuple(
        AuditedTerminal(t, "Windows 11",
                    {"os_support": ok, "patches": ok, "antivirus": ok, "usb": ok})
        for t in terminals
    )  # fmt: skip
    return ReportInput(
        engagement=engagement,
        versions=Versions(__version__, (KnowledgeVersion("bench", "synthetic"),)),
        generated_at=moment,
        findings=tuple(findings),
        scan=ScanReport(moment, moment, hosts),
        firmware=firmware,
        terminals=terminal_rows,
    )


def _peer(report: ReportInput, out: Path) -> None:
    from weasyprint import HTML

    rows = "".join(
        f"<tr><td>{html.escape(f.title_ja)}</td><td>{html.escape(f.subject.describe())}</td>"
        f"<td>{html.escape(f.remediation_ja)}</td></tr>"
        for f in report.findings
    )
    document = f"<html lang='ja'><body><table>{rows}</table></body></html>"
    HTML(string=document).write_pdf(str(out / "peer.pdf"))


def child(which: str) -> None:
    report = big_input()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        cpu_start = time.process_time()
        if which == "ours":
            files = write_report(report, Path(folder), "ja")
            pages = _pages(files.pdf)
        else:
            _peer(report, Path(folder))
            pages = _pages(Path(folder) / "peer.pdf")
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "cpu": cpu, "peak_mb": peak_mb, "pages": pages}))


def _pages(pdf: Path) -> int:
    import re

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    found = re.search(r"Pages:\s+(\d+)", info.stdout)
    return int(found.group(1)) if found else 0


def measure(which: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", which],
        capture_output=True,
        check=True,
        text=True,
        timeout=600,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", type=Path, default=None)
    parser.add_argument("--child", choices=["ours", "peer"], default=None)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    ours, peer = [], []
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):
        ours.append(measure("ours"))
        peer.append(measure("peer"))
    load_after = os.getloadavg()[0]

    def med(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    seconds = [r["seconds"] for r in ours]
    table = "\n".join(
        [
            f"### Report rendering (`bench/report.py`) — {datetime.now(UTC):%Y-%m-%d}",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, kenshin {__version__}, WeasyPrint "
            f"{_weasyprint_version()}. Load average {load_before:.1f} before, "
            f"{load_after:.1f} after (shared with other work). Median of {args.runs} runs, "
            "each in a fresh process.",
            "",
            f"Input: {POINTS} connection points, {DEVICES} devices, {TERMINALS} terminals, "
            f"{FINDINGS:,} findings (synthetic). Target: ≤ 15 s, ≤ 500 MB.",
            "",
            "The machine was shared (see the load average): wall time there is inflated by "
            "waiting for a core; the CPU time is what the same run takes on an idle machine, "
            "since rendering is single-threaded.",
            "",
            "| what | wall s (median) | wall min–max | CPU s (median) | peak RSS MB | PDF pages |",
            "|---|---|---|---|---|---|",
            f"| kenshin: PDF + HTML + xlsx + 2 JSON | {med(ours, 'seconds'):.1f} | "
            f"{min(seconds):.1f}–{max(seconds):.1f} | {med(ours, 'cpu'):.1f} | "
            f"{med(ours, 'peak_mb'):.0f} | "
            f"{med(ours, 'pages'):.0f} |",
            f"| peer: WeasyPrint, bare table of the same findings (PDF only) | "
            f"{med(peer, 'seconds'):.1f} | "
            f"{min(r['seconds'] for r in peer):.1f}–{max(r['seconds'] for r in peer):.1f} | "
            f"{med(peer, 'cpu'):.1f} | {med(peer, 'peak_mb'):.0f} | {med(peer, 'pages'):.0f} |",
            f"| ratio kenshin / peer | {med(ours, 'seconds') / med(peer, 'seconds'):.2f} | | "
            f"{med(ours, 'cpu') / med(peer, 'cpu'):.2f} | "
            f"{med(ours, 'peak_mb') / med(peer, 'peak_mb'):.2f} | |",
            "",
        ]
    )
    print(table)
    if args.write:
        write_section("report", table, args.write)


def _weasyprint_version() -> str:
    import weasyprint

    return str(weasyprint.__version__)


if __name__ == "__main__":
    main()
