"""One rule names a device's fix: the CLI (``FirmwareCheck.upgrades``), the firmware
table (``report.sources``) and the report's actions (``report.fixes.highest``)."""

from __future__ import annotations

from kenshin.domain import Confidence, FirmwareStatus, Severity, Upgrade
from kenshin.report.fixes import highest
from kenshin.vulndb import FirmwareCheck, VulnMatch, recommended_upgrades
from kenshin.vulndb.model import MatchStatus


def _match(cve: str, fixed: str, status: MatchStatus = "affected") -> VulnMatch:
    return VulnMatch(
        cve=cve,
        title_ja="t",
        title_en="t",
        description_ja="",
        description_en="",
        advice_ja="",
        advice_en="",
        cvss=9.8,
        severity=Severity.CRITICAL,
        kev=False,
        kev_date=None,
        ransomware=False,
        jvn_ids=(),
        fixed_version=fixed,
        confidence=Confidence.HIGH,
        status=status,
        evidence="",
        product="FortiOS",
        scheme="fortios",
    )


def _check(*matches: VulnMatch) -> FirmwareCheck:
    return FirmwareCheck(
        "Fortinet", "FortiGate 60F", "7.0.11", FirmwareStatus.AFFECTED, "7.0.11", "", "", matches
    )


def test_the_cli_asks_for_the_fix_of_affecting_matches_only() -> None:
    # a "possible" match cannot be told: its fix is not what the report asks for
    check = _check(_match("CVE-1", "7.0.12"), _match("CVE-2", "7.0.17", "possible"))
    (upgrade,) = check.upgrades()
    assert upgrade.fixed_per_line == {(7, 0): "7.0.12"}
    assert upgrade.resolves == 1
    fix = highest(u for m in check.matches if m.status == "affected" if (u := m.upgrade()))
    assert fix is not None
    assert fix.per_line == upgrade.fixed_per_line


def test_fixes_of_two_schemes_are_never_compared_in_one() -> None:
    upgrades = [
        Upgrade("FortiOS", "7.0.12", "fortios"),
        Upgrade("FortiOS", "7.0.17", "fortios"),
        Upgrade("OpenSSH", "9.6p1", "openssh"),
    ]
    fix = highest(upgrades)
    assert fix is not None
    assert (fix.product, fix.scheme, fix.per_line) == ("FortiOS", "fortios", {(7, 0): "7.0.17"})
    first, second = recommended_upgrades(upgrades)
    assert (first.scheme, first.fixed_per_line) == ("fortios", {(7, 0): "7.0.17"})
    assert (second.product, second.fixed_per_line) == ("OpenSSH", {(9, 6): "9.6p1"})


def test_the_firmware_row_version_joins_the_fix() -> None:
    # the row's fixed version (a device's firmware row) is folded in its own scheme
    fix = highest([Upgrade("FortiOS", "7.0.12", "fortios")], ["7.2.8", "7.0.17"], "fortios")
    assert fix is not None
    assert fix.per_line == {(7, 0): "7.0.17", (7, 2): "7.2.8"}
