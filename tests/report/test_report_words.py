"""The Japanese report reads as Japanese: no kenshin identifiers, no escaped bytes.

The evidence below imitates what kenshin's checks really record (escaped protocol bytes
cut at a fixed length, "matched by kenshin snapshot", "version source not_obtained",
"edition class home_pro": the formats of checks/known_vulns.py, firmware/check.py and
terminals/rules/os_rules.py). The rendered text of the ja report — HTML and PDF — is
scanned for identifiers from kenshin's own vocabularies and for ``\\x`` escapes.
"""

from __future__ import annotations

import re
from dataclasses import replace
from enum import StrEnum
from html.parser import HTMLParser

import pytest
from report_fixtures import demo_report_input

from kenshin import domain
from kenshin.domain import Engagement, Finding, FindingCategory, FindingSubject, Severity
from kenshin.report import FirmwareStatus, VerdictStatus, build_view, render_html
from kenshin.report.readable import readable

RAW = [
    Finding(
        check_id="vulnerability.cve",
        category=FindingCategory.VULNERABILITY,
        severity=Severity.CRITICAL,
        title_ja="CVE-2024-21762: FortiOS SSL-VPN の境界外書き込み",
        title_en="CVE-2024-21762",
        subject=FindingSubject(address="198.18.10.10", port=443, protocol="tcp"),
        cves=("CVE-2024-21762",),
        kev=True,
        cvss=9.8,
        evidence=(
            "FortiOS 7.0.11 (inferred); matches fortinet:fortios >= 7.0.0 < 7.0.14; matched by "
            "kenshin snapshot; kenshin snapshot; identification: http-get → rule http.generic: "
            r"HTTP/1.1 200 OK\x0d\x0aDate: Sun, 06 Dec 2026 20:54:58 GMT\x0d\x0aServer: "
            r"xxxxxxxx-xxxxx\x0d\x0aX-Frame-Options: SAMEORIGIN\x0d\x0"
        ),
    ),
    Finding(
        check_id="account.default_credentials.telnet",
        category=FindingCategory.ACCOUNT,
        severity=Severity.CRITICAL,
        title_ja="初期設定のIDとパスワードでログインできます（telnet 23/tcp）",
        title_en="Default credentials",
        subject=FindingSubject(address="198.18.20.20", port=23, protocol="tcp"),
        evidence=(
            "23/tcp open; service telnet; YAMAHA RTX router telnetd; banner → rule "
            r"telnet.yamaha-prompt: \xff\xfb\x01\xff\xfb\x03\x0d\x0aPassword:"
        ),
    ),
    Finding(
        check_id="firmware.version_unknown",
        category=FindingCategory.CONFIGURATION,
        severity=Severity.LOW,
        title_ja="リモート保守用SSL-VPN装置のバージョンが不明",
        title_en="Version unknown",
        subject=FindingSubject(device_key="DEV-03"),
        evidence="Ivanti Connect Secure: version source not_obtained; reason: ベンダに照会中",
    ),
    Finding(
        check_id="terminal.os.lifecycle",
        category=FindingCategory.CONFIGURATION,
        severity=Severity.HIGH,
        title_ja="OS のサポート期限",
        title_en="OS support lifecycle",
        subject=FindingSubject(terminal_key="T-03"),
        description_ja="Windows 7 は 2020-01-14 にサポートが終了しています。",
        evidence="Microsoft Windows 7 Professional build 7601, edition class home_pro",
    ),
    Finding(
        check_id="terminal.av.signatures",
        category=FindingCategory.CONFIGURATION,
        severity=Severity.HIGH,
        title_ja="ウイルス定義ファイルの更新",
        title_en="Antivirus signatures",
        subject=FindingSubject(terminal_key="T-03"),
        evidence="Trend Micro OfficeScan Antivirus (productState 266256=0x041010: on, out_of_date)",
    ),
]


def _vocabulary(findings: list[Finding], terminal_checks: set[str]) -> set[str]:
    """Identifiers of kenshin's own: check ids and enum values that look like identifiers."""
    words = {f.check_id for f in findings} | terminal_checks
    enums = [
        value
        for name in dir(domain)
        if isinstance(kind := getattr(domain, name), type) and issubclass(kind, StrEnum)
        for value in kind
    ]
    words |= {str(v) for v in [*enums, *FirmwareStatus, *VerdictStatus] if "_" in str(v)}
    return {w for w in words if "_" in w or "." in w}


_IDENTIFIER_PATTERNS = (
    re.compile(r"\\x"),  # an escaped byte, whole or cut
    re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b"),  # snake_case
    re.compile(
        r"\b(?:terminal|terminals|firmware|exposure|account|backdoor|vulnerability|vuln|"
        r"configuration|report|label|assess|vulndb)\.[a-z_]+"
    ),
    re.compile(r"kenshin snapshot|matched by|→\s*rule\b"),
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("style", "svg", "script"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "svg", "script"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.chunks.append(data)


def _leaks(text: str, vocabulary: set[str]) -> list[str]:
    found = [word for word in vocabulary if word in text]
    for pattern in _IDENTIFIER_PATTERNS:
        found.extend(m.group(0) for m in pattern.finditer(text))
    return sorted(set(found))


@pytest.fixture
def raw_view_html(demo_engagement: Engagement) -> tuple[str, set[str]]:
    base = demo_report_input(demo_engagement)
    findings = [*base.findings, *RAW]
    view = build_view(replace(base, findings=tuple(findings)), "ja")
    checks = {c for row in base.terminals or () for c in row.verdicts}
    parser = _Text()
    parser.feed(render_html(view))
    return " ".join(parser.chunks), _vocabulary(findings, checks)


def test_the_ja_report_text_has_no_identifiers_or_escapes(
    raw_view_html: tuple[str, set[str]],
) -> None:
    text, vocabulary = raw_view_html
    assert _leaks(text, vocabulary) == []


def test_raw_evidence_is_still_shown_readably(raw_view_html: tuple[str, set[str]]) -> None:
    text, _ = raw_view_html
    assert "X-Frame-Options: SAMEORIGIN" in text
    assert "〈FF FB 01 FF FB 03〉" in text
    assert "端末 T-03 から収集した設定情報" in text  # the body says where it came from


def test_the_scanner_sees_leaks_when_they_are_there() -> None:
    """The test above can fail: raw evidence as it was shown before trips it."""
    raw = "\n".join(f.evidence for f in RAW)
    leaks = _leaks(raw, {"terminal.os.lifecycle", "not_obtained"})
    assert "\\x" in leaks
    assert "not_obtained" in leaks
    assert "home_pro" in leaks
    assert "terminal.os.lifecycle" not in leaks  # not in the evidence itself
    assert _leaks(readable(raw), set()) == []


def test_readable_spells_out_decoded_states() -> None:
    assert "out of date" in readable(RAW[-1].evidence)


def test_readable_drops_a_cut_escape_and_breaks_lines() -> None:
    text = readable(r"HTTP/1.1 200 OK\x0d\x0aServer: x\x0d\x0")
    assert text == "HTTP/1.1 200 OK\nServer: x"
    assert readable(r"GET\x09/") == "GET\t/"


def test_the_rendered_pdf_text_has_no_escapes(demo_ja: object) -> None:
    from report_render import Rendered

    assert isinstance(demo_ja, Rendered)
    assert "\\x" not in demo_ja.pdf_text
    assert not re.search(r"\bterminal\.[a-z]", demo_ja.pdf_text)
