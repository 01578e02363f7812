# ruff: noqa: E501  (test data: long Japanese sentences read better unbroken)
"""Test data: a complete, believable set of survey results for the demo hospital.

THIS IS TEST DATA. The findings, scan results and firmware results below are invented
for the bundled demo hospital (src/kenshin/data/demo/demo-hospital.yaml) so that every
section of the report can be rendered and checked. Formats follow kenshin's own
contracts: ``kenshin.domain.Finding`` and the ``kenshin.scan/1`` types
(docs/architecture.md), and ``kenshin.report.FirmwareRow``. The terminal verdicts and
findings are not written here: the terminals room judges the demo hospital's collector
files (``terminal_assessments``). Facts about
real products are from public advisories: CVE-2023-27997 and CVE-2024-21762 affect
FortiOS 7.0.11 (fixed in 7.0.12 and 7.0.14), both are in CISA's KEV catalogue with
known ransomware use, NVD CVSS 3.1 base score 9.8 each.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from kenshin.domain import (
    AddressAssignment,
    AddressConfirmation,
    Confidence,
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    HostResult,
    PortResult,
    PortState,
    Protocol,
    ScanReport,
    ServiceIdentity,
    Severity,
    Upgrade,
)
from kenshin.report import (
    AuditedTerminal,
    FirmwareRow,
    FirmwareStatus,
    KnowledgeVersion,
    ReportInput,
    Versions,
)
from kenshin.report.sources import audited_terminals
from kenshin.terminals import (
    TerminalAssessment,
    demo_terminal_files,
    evaluate,
    parse_collector_file,
)

JST = ZoneInfo("Asia/Tokyo")
SECRET = "Hospital-Vendor#2026!"  # must never appear in any output
GENERATED_AT = datetime(2026, 12, 10, 9, 0, tzinfo=JST)
SCAN_START = datetime(2026, 12, 3, 20, 30, tzinfo=JST)
SCAN_END = datetime(2026, 12, 3, 21, 12, tzinfo=JST)

DIAGRAM_SVG = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 220" width="600" height="220">
<rect x="10" y="10" width="580" height="200" fill="none" stroke="#2d4a7a" stroke-dasharray="6 4"/>
<text x="20" y="30" font-size="12" font-family="Noto Sans CJK JP">調査範囲（電子カルテ系ネットワーク）</text>
<rect x="40" y="80" width="120" height="40" fill="#eef1f6" stroke="#2d4a7a"/>
<text x="50" y="105" font-size="11" font-family="Noto Sans CJK JP">DEV-01 本館UTM</text>
<circle cx="100" cy="60" r="8" fill="#b3122e"/>
<text x="115" y="64" font-size="10" font-family="Noto Sans CJK JP">診断ポイント 198.18.10.10</text>
<rect x="240" y="80" width="150" height="40" fill="#eef1f6" stroke="#2d4a7a"/>
<text x="250" y="105" font-size="11" font-family="Noto Sans CJK JP">DEV-02/03 保守回線</text>
</svg>"""


def _f(
    check_id: str,
    category: FindingCategory,
    severity: Severity,
    title_ja: str,
    title_en: str,
    subject: FindingSubject,
    **rest: object,
) -> Finding:
    return Finding(
        check_id=check_id,
        category=category,
        severity=severity,
        title_ja=title_ja,
        title_en=title_en,
        subject=subject,
        **rest,  # type: ignore[arg-type]
    )


FORTI_27997 = dict(
    cves=("CVE-2023-27997",),
    kev=True,
    ransomware=True,
    cvss=9.8,
    description_ja="FortiOS の SSL-VPN 機能にヒープバッファオーバーフローの脆弱性があり、認証なしに外部から任意のコードを実行される恐れがあります。ランサムウェア攻撃での悪用が確認されています。",
    description_en="A heap buffer overflow in FortiOS SSL-VPN lets an unauthenticated attacker run code remotely. It is exploited by ransomware groups.",
    remediation_ja="FortiOS を 7.0.14 以降（7.0系の最新版）に更新してください。更新まで SSL-VPN を停止してください。",
    remediation_en="Update FortiOS to 7.0.14 or later (the newest 7.0.x). Turn SSL-VPN off until then.",
    upgrade=Upgrade(
        "FortiOS",
        "7.0.12",
        "fortios",
        steps_ja="更新まで SSL-VPN を停止してください。",
        steps_en="Switch SSL-VPN off until then.",
    ),
)


def store_findings() -> list[Finding]:
    """Findings as the firmware room would have stored them (the terminal findings are the
    terminals room's own: ``terminal_assessments``)."""
    dev01 = FindingSubject(device_key="DEV-01")
    return [
        _f(
            "firmware.cve",
            FindingCategory.VULNERABILITY,
            Severity.CRITICAL,
            "FortiOS SSL-VPN の脆弱性（CVE-2023-27997）",
            "FortiOS SSL-VPN vulnerability (CVE-2023-27997)",
            dev01,
            evidence="version v7.0.11,build0489 (GA) reported by vendor; affected 7.0.0–7.0.11",
            **FORTI_27997,  # type: ignore[arg-type]
        ),
        _f(
            "firmware.cve",
            FindingCategory.VULNERABILITY,
            Severity.CRITICAL,
            "FortiOS の境界外書き込みの脆弱性（CVE-2024-21762）",
            "FortiOS out-of-bounds write (CVE-2024-21762)",
            dev01,
            cves=("CVE-2024-21762",),
            kev=True,
            ransomware=True,
            cvss=9.8,
            evidence="version v7.0.11,build0489 (GA); affected 7.0.0–7.0.13",
            description_ja="SSL-VPN を通じて、認証なしに外部から任意のコードを実行される恐れがあります。悪用が確認されています。",
            description_en="Lets an unauthenticated attacker run code through SSL-VPN. Known to be exploited.",
            remediation_ja=FORTI_27997["remediation_ja"],
            remediation_en=FORTI_27997["remediation_en"],
        ),
        _f(
            "firmware.version_unknown",
            FindingCategory.CONFIGURATION,
            Severity.HIGH,
            "リモート保守用VPN装置のバージョンが不明",
            "Version of the remote-maintenance VPN appliance unknown",
            FindingSubject(device_key="DEV-03"),
            confidence=Confidence.MEDIUM,
            description_ja="Ivanti Connect Secure には悪用が確認された脆弱性が多数あります（CVE-2025-0282 など）。バージョンが分からないため、該当するかを判断できません。",
            description_en="Ivanti Connect Secure has many exploited vulnerabilities (e.g. CVE-2025-0282). Without the version nobody can tell whether this one is affected.",
            remediation_ja="保守ベンダ（架空メディカルシステムズ）に稼働中のバージョンを確認し、最新版でなければ更新を依頼してください。",
            remediation_en="Ask the maintenance vendor for the running version and have it updated if it is not current.",
            evidence="login page shows no version; vendor request sent 2026-11-24, no answer yet",
        ),
    ]


def scan_report() -> ScanReport:
    """The remote diagnosis of the demo hospital's two internet-facing addresses."""
    utm = HostResult(
        address="198.18.10.10",
        ports=(
            PortResult(
                Protocol.TCP,
                443,
                PortState.OPEN,
                "syn-ack",
                ServiceIdentity(
                    "https",
                    "Fortinet FortiGate SSL VPN",
                    "7.0.11",
                    ("cpe:2.3:o:fortinet:fortios:7.0.11:*:*:*:*:*:*:*",),
                    Confidence.HIGH,
                ),
            ),
            PortResult(Protocol.TCP, 22, PortState.CLOSED, "reset"),
            PortResult(Protocol.TCP, 80, PortState.FILTERED, "no-response"),
            PortResult(
                Protocol.UDP,
                161,
                PortState.OPEN,
                "udp-response",
                ServiceIdentity("snmp", "Fortinet FortiGate SNMP agent", "v2c"),
            ),
            PortResult(
                Protocol.UDP,
                500,
                PortState.OPEN,
                "udp-response",
                ServiceIdentity("isakmp", "IKEv2"),
            ),
            PortResult(Protocol.UDP, 123, PortState.OPEN_FILTERED, "no-response"),
        ),
        findings=(
            _f(
                "vuln.cve",
                FindingCategory.VULNERABILITY,
                Severity.CRITICAL,
                "FortiOS SSL-VPN の脆弱性（CVE-2023-27997）",
                "FortiOS SSL-VPN vulnerability (CVE-2023-27997)",
                FindingSubject(address="198.18.10.10", port=443, protocol="tcp"),
                evidence="HTTP/1.1 200 OK\nSet-Cookie: SVPNCOOKIE=9f2c1e77ab; path=/\n/remote/login answered; build 0489",
                **FORTI_27997,  # type: ignore[arg-type]
            ),
            _f(
                "exposure.snmp",
                FindingCategory.ACCOUNT,
                Severity.HIGH,
                "SNMPが初期値のコミュニティ名（public）でインターネットに応答",
                "SNMP answers the internet with the default community 'public'",
                FindingSubject(address="198.18.10.10", port=161, protocol="udp"),
                description_ja="機器の設定情報やインターフェース情報を誰でも読み取れます。",
                description_en="Anyone can read the device's configuration and interface data.",
                remediation_ja="WAN側のSNMPを無効にし、必要なら監視サーバのアドレスだけに許可してください。コミュニティ名を推測困難なものに変更してください。",
                remediation_en="Turn SNMP off on the WAN side or allow only the monitoring server; change the community to one that cannot be guessed.",
                evidence="snmpget -v2c community public sysDescr.0 -> FortiGate-60F v7.0.11",
            ),
            _f(
                "tls.certificate",
                FindingCategory.CONFIGURATION,
                Severity.INFO,
                "SSL-VPN の証明書は自己署名",
                "The SSL-VPN certificate is self-signed",
                FindingSubject(address="198.18.10.10", port=443, protocol="tcp"),
                evidence="subject CN=FGT60F-DEMO, issuer CN=FGT60F-DEMO",
            ),
        ),
    )
    maintenance = HostResult(
        address="198.18.20.20",
        ports=(
            PortResult(
                Protocol.TCP,
                23,
                PortState.OPEN,
                "syn-ack",
                ServiceIdentity("telnet", "YAMAHA RTX1210 telnetd"),
            ),
            PortResult(
                Protocol.TCP,
                443,
                PortState.OPEN,
                "syn-ack",
                ServiceIdentity("https", "Ivanti Connect Secure", "", (), Confidence.MEDIUM),
            ),
            PortResult(
                Protocol.TCP,
                3389,
                PortState.OPEN,
                "syn-ack",
                ServiceIdentity("ms-wbt-server", "Microsoft Terminal Services"),
            ),
            PortResult(
                Protocol.UDP, 500, PortState.OPEN, "udp-response", ServiceIdentity("isakmp")
            ),
            PortResult(Protocol.UDP, 4500, PortState.OPEN_FILTERED, "no-response"),
        ),
        findings=(
            _f(
                "exposure.telnet",
                FindingCategory.EXPOSURE,
                Severity.HIGH,
                "Telnet（暗号化されない管理用接続）がインターネットに公開",
                "Telnet (unencrypted management) open to the internet",
                FindingSubject(address="198.18.20.20", port=23, protocol="tcp"),
                description_ja="ルータの管理画面に誰でも接続を試みられ、通信は暗号化されません。",
                description_en="Anyone can try to log in to the router; the session is not encrypted.",
                remediation_ja="WAN側からのTelnetを禁止し、保守には暗号化された経路（SSH・VPN）を許可元を限定して使ってください。",
                remediation_en="Block Telnet from the WAN; use encrypted access (SSH, VPN) restricted to known sources.",
                evidence=f"Password: {SECRET}\nRTX1210 login prompt received",
            ),
            _f(
                "exposure.rdp",
                FindingCategory.EXPOSURE,
                Severity.HIGH,
                "リモートデスクトップ（RDP）がインターネットに公開",
                "Remote Desktop (RDP) open to the internet",
                FindingSubject(address="198.18.20.20", port=3389, protocol="tcp"),
                description_ja="RDPはランサムウェアの侵入経路として多用されています。",
                description_en="RDP is one of the most common ways ransomware gets in.",
                remediation_ja="RDPのポート転送を止め、VPN経由の接続に限ってください。",
                remediation_en="Remove the RDP port forwarding; allow it only through the VPN.",
                evidence="RDP negotiation response: PROTOCOL_HYBRID (CredSSP)",
                confidence=Confidence.HIGH,
            ),
        ),
    )
    return ScanReport(started_at=SCAN_START, finished_at=SCAN_END, hosts=(utm, maintenance))


def firmware_rows(engagement: Engagement) -> tuple[FirmwareRow, ...]:
    device = {d.key: d for d in engagement.devices}
    return (
        FirmwareRow(
            device["DEV-01"],
            FirmwareStatus.AFFECTED,
            ("CVE-2023-27997", "CVE-2024-21762"),
            True,
            "7.0.14",
            "7.0系の最新版に更新し、更新までSSL-VPNを停止してください。",
            "Update to the newest 7.0.x; turn SSL-VPN off until then.",
            scheme="fortios",  # as report.sources names it: the firmware check's scheme
        ),
        FirmwareRow(
            device["DEV-02"],
            FirmwareStatus.NOT_AFFECTED,
            advice_ja="現状維持（定期的に更新を確認）",
            advice_en="Keep checking for updates.",
        ),
        FirmwareRow(
            device["DEV-03"],
            FirmwareStatus.VERSION_UNKNOWN,
            advice_ja="保守ベンダにバージョンを確認してください。",
            advice_en="Ask the vendor for the version.",
        ),
        FirmwareRow(
            device["DEV-04"],
            FirmwareStatus.NOT_AFFECTED,
            advice_ja="現状維持",
            advice_en="No action.",
        ),
    )


def terminal_assessments(engagement: Engagement) -> list[TerminalAssessment]:
    """The demo hospital's five collector files, judged by the terminals room's own rules
    on the report's day: the report is tested on data it was not written from."""
    key = {t.hostname: t.key for t in engagement.terminals}
    collected = [parse_collector_file(data) for _, data in demo_terminal_files()]
    return [evaluate(c, GENERATED_AT.date(), terminal_key=key[c.host]) for c in collected]


def terminal_rows(engagement: Engagement) -> tuple[AuditedTerminal, ...]:
    """The terminal verdicts as the report reads them from the terminals room."""
    return tuple(audited_terminals(engagement, terminal_assessments(engagement)) or ())


KNOWLEDGE = (
    KnowledgeVersion("CISA KEV", "2025.08.25"),
    KnowledgeVersion("NVD CVE API 2.0", "2025-10-24"),
    KnowledgeVersion("JVN iPedia", "2025-10"),
)


def confirmed_on_the_day(engagement: Engagement) -> Engagement:
    """The vendor confirmed CP-02's dynamic address just before the diagnosis."""
    confirmation = AddressConfirmation(
        datetime(2026, 12, 3, 19, 45, tzinfo=JST), "遠隔 三郎（架空メディカルシステムズ）"
    )
    points = tuple(
        replace(
            point,
            addresses=tuple(
                replace(a, confirmations=(*a.confirmations, confirmation))
                if a.assignment is AddressAssignment.DYNAMIC
                else a
                for a in point.addresses
            ),
        )
        for point in engagement.connection_points
    )
    return replace(engagement, connection_points=points)


def demo_report_input(engagement: Engagement, *, with_scan_findings: bool = True) -> ReportInput:
    """Every section filled, for the demo hospital; clearly test data."""
    scan = scan_report()
    findings = list(store_findings())
    for assessment in terminal_assessments(engagement):
        findings.extend(assessment.findings)
    for host in scan.hosts:
        findings.extend(host.findings)
    if not with_scan_findings:
        scan = replace(scan, hosts=tuple(replace(h, findings=()) for h in scan.hosts))
    return ReportInput(
        engagement=confirmed_on_the_day(engagement),
        versions=Versions("0.1.0", KNOWLEDGE),
        generated_at=GENERATED_AT,
        findings=tuple(findings),
        scan=scan,
        firmware=firmware_rows(engagement),
        terminals=terminal_rows(engagement),
        diagrams={"ja": DIAGRAM_SVG, "en": DIAGRAM_SVG},
        authors=("健診 調査チーム（テストデータ）",),
    )
