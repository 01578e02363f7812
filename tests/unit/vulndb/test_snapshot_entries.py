"""Every range and exact release of the shipped snapshot, checked against its own data.

For each affected range a release inside it must match the entry (its `last` release,
else its first, else one just below its first fixed release) and the first fixed
release must not; every exact release listed must match. The cases are generated from
the snapshot, so an entry whose bounds are swapped, mistyped or unreadable by the
product's version scheme fails here. Hand-picked boundary cases with releases the
entries were not written from follow at the end.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kenshin.vulndb import open_knowledge_base
from kenshin.vulndb.evaluate import Target, evaluate_all
from kenshin.vulndb.products import scheme_for
from kenshin.vulndb.snapshot import SnapshotEntry, load_kev_facts, load_snapshot

ENTRIES = load_snapshot().entries


def _below(version: str) -> str:
    """A release just below ``version``: its last non-zero number lowered by one."""
    runs = list(re.finditer(r"\d+", version))
    for run in reversed(runs):
        if int(run.group()) > 0:
            lowered = str(int(run.group()) - 1)
            return version[: run.start()] + lowered + version[run.end() :]
    raise ValueError(f"no release below {version}")


def _cases() -> list[tuple[str, tuple[str, str], str, bool]]:
    cases: list[tuple[str, tuple[str, str], str, bool]] = []
    for entry in ENTRIES.values():
        for r in entry.ranges:
            inside = r.last or r.start or _below(str(r.fixed))
            cases.append((entry.cve, r.product, inside, True))
            if r.fixed:
                cases.append((entry.cve, r.product, r.fixed, False))
        for config in entry.configurations:
            for node in config.nodes:
                for m in node.matches:
                    if m.vulnerable and m.criteria.version not in ("*", "-"):
                        ident = (m.criteria.vendor, m.criteria.product)
                        cases.append((entry.cve, ident, m.criteria.version, True))
    return cases


CASES = _cases()


def _matches(entry: SnapshotEntry, product: tuple[str, str], version: str) -> bool | None:
    hardware = frozenset(
        (m.criteria.vendor, m.criteria.product)
        for config in entry.configurations
        for node in config.nodes
        for m in node.matches
        if not m.vulnerable
    )
    target = Target(
        software=frozenset({product}),
        version=version,
        scheme=scheme_for(*product),
        hardware=hardware,
        hardware_known=True,
    )
    return evaluate_all(entry.configurations, target).value


@pytest.mark.parametrize(
    ("cve", "product", "version", "affected"),
    CASES,
    ids=[f"{c}-{p[1]}-{v}-{'in' if a else 'fixed'}" for c, p, v, a in CASES],
)
def test_entry_matches_inside_its_range_and_not_at_its_fix(
    cve: str, product: tuple[str, str], version: str, affected: bool
) -> None:
    assert _matches(ENTRIES[cve], product, version) is affected


def test_generated_cases_cover_every_entry_with_versions() -> None:
    with_versions = {cve for cve, e in ENTRIES.items() if e.ranges or _exact(e)}
    assert {c for c, *_ in CASES} == with_versions
    assert any(not affected for *_, affected in CASES)


def _exact(entry: SnapshotEntry) -> bool:
    return any(
        m.vulnerable and m.criteria.version not in ("*", "-")
        for config in entry.configurations
        for node in config.nodes
        for m in node.matches
    )


def test_below_lowers_the_last_nonzero_number() -> None:
    assert _below("21.15.6C1") == "21.15.6C0"
    assert _below("1.3.0") == "1.2.0"
    assert _below("10.2.12-h2") == "10.2.12-h1"
    assert _below("13.1-58.32") == "13.1-58.31"


def test_kev_entries_with_versions_are_counted() -> None:
    """The KEV facts of the edge lines that the snapshot gives versions for; the count
    only grows (the issue's bar: every KEV entry of those lines, with versions)."""
    kev = load_kev_facts().entries
    with_versions = [c for c in kev if c in ENTRIES and (ENTRIES[c].ranges or _exact(ENTRIES[c]))]
    assert len(with_versions) >= 56
    for cve in with_versions:
        assert ENTRIES[cve].kev == kev[cve].date_added, cve


@pytest.mark.parametrize(
    ("vendor", "model", "version", "cve", "status"),
    [
        # PAN-OS: the advisory's hotfix fixes; 10.1 has no fix stated here
        ("Palo Alto Networks", "PA-440", "10.2.12-h1", "CVE-2024-0012", "affected"),
        ("Palo Alto Networks", "PA-440", "10.2.12-h2", "CVE-2024-0012", None),
        ("Palo Alto Networks", "PA-440", "11.2.4-h1", "CVE-2024-0012", None),
        ("Palo Alto Networks", "PA-440", "10.1.14-h4", "CVE-2024-0012", None),
        ("Palo Alto Networks", "PA-440", "10.1.14-h4", "CVE-2024-9474", "affected"),
        ("Palo Alto Networks", "PA-440", "11.2.2", "CVE-2024-3393", "affected"),
        ("Palo Alto Networks", "PA-440", "11.2.3", "CVE-2024-3393", None),
        ("Palo Alto Networks", "PA-440", "10.2.7-h8", "CVE-2024-3393", None),
        # PAN-OS CVE-2025-0108: each maintenance release has its own hotfix fix
        ("Palo Alto Networks", "PA-440", "10.2.9-h20", "CVE-2025-0108", "affected"),
        ("Palo Alto Networks", "PA-440", "10.2.9-h21", "CVE-2025-0108", None),
        ("Palo Alto Networks", "PA-440", "10.2.13-h3", "CVE-2025-0108", None),
        ("Palo Alto Networks", "PA-440", "11.1.4", "CVE-2025-0111", "affected"),
        ("Palo Alto Networks", "PA-440", "11.1.2-h18", "CVE-2025-0111", None),
        # Citrix: the build decides, not the release line
        ("Citrix", "NetScaler ADC", "14.1-43.50", "CVE-2025-5777", "affected"),
        ("Citrix", "NetScaler ADC", "14.1-43.56", "CVE-2025-5777", None),
        ("Citrix", "NetScaler Gateway", "13.1-59.19", "CVE-2025-6543", None),
        # SonicWall SMA100: the releases NVD names "and earlier"
        ("SonicWall", "SMA 410", "10.2.1.2-24sv", "CVE-2021-20038", "affected"),
        ("SonicWall", "SMA 410", "10.2.0.7-34sv", "CVE-2021-20038", "affected"),
        ("SonicWall", "SMA 410", "10.2.1.3-27sv", "CVE-2021-20038", None),
        ("SonicWall", "SMA 410", "10.2.1.0-17sv", "CVE-2021-20035", "affected"),
        ("SonicWall", "SMA 410", "10.2.1.1-19sv", "CVE-2021-20035", None),
        # SMA1000 and SonicOS: releases named by SonicWall's advisories
        ("SonicWall", "SMA 6210", "12.4.3-02804", "CVE-2025-23006", "affected"),
        ("SonicWall", "SMA 6210", "12.4.3-02854", "CVE-2025-23006", None),
        ("SonicWall", "TZ 470", "7.1.1-7058", "CVE-2024-53704", "affected"),
        ("SonicWall", "TZ 470", "7.1.3-7015", "CVE-2024-53704", None),
        ("SonicWall", "TZ 470", "8.0.0-8037", "CVE-2024-53704", None),
        # Cisco FTD 7.2: 7.2.5.2 is the fixed 7.2 release Cisco names
        ("Cisco", "Firepower Threat Defense", "7.2.5.1", "CVE-2024-20353", "affected"),
        ("Cisco", "Firepower Threat Defense", "7.2.5.2", "CVE-2024-20353", None),
        ("Cisco", "ASA 5516-X", "9.16(4)55", "CVE-2024-20353", "affected"),
        ("Cisco", "ASA 5516-X", "9.18.4.8", "CVE-2024-20359", "affected"),
        ("Cisco", "ASA 5516-X", "9.16(4)38", "CVE-2023-20269", "affected"),
        ("Cisco", "Firepower Threat Defense", "7.2.5", "CVE-2023-20269", "affected"),
        ("Cisco", "ASA 5516-X", "9.18.4.22", "CVE-2024-20359", None),
        # Ivanti: the release on the line, R-numbers compared as numbers
        ("Ivanti", "Connect Secure", "22.6R2.1", "CVE-2024-21893", "affected"),
        ("Ivanti", "Connect Secure", "22.6R2.2", "CVE-2024-21893", None),
        ("Pulse Secure", "Pulse Connect Secure", "9.1R11.4", "CVE-2021-22894", None),
        ("Pulse Secure", "Pulse Connect Secure", "9.0R3.4", "CVE-2019-11539", None),
        ("Pulse Secure", "Pulse Connect Secure", "9.0R3.3", "CVE-2019-11539", "affected"),
        # Junos: service releases with build numbers; two fixes on one line
        ("Juniper", "srx300", "21.4R3-S5.4", "CVE-2023-36845", None),
        ("Juniper", "srx300", "21.4R3-S4.9", "CVE-2023-36845", "affected"),
        ("Juniper", "srx300", "22.3R2-S2.1", "CVE-2023-36845", None),
        ("Juniper", "srx300", "22.3R3", "CVE-2023-36845", "affected"),
        ("Juniper", "srx300", "22.3R3-S1", "CVE-2023-36845", None),
        ("Juniper", "srx300", "21.4R3-S5.4", "CVE-2023-36851", "affected"),
        ("Juniper", "srx300", "15.1X49-D200.3", "CVE-2020-1631", "affected"),
        ("Juniper", "srx300", "15.1X49-D211", "CVE-2020-1631", None),
        ("Juniper", "srx300", "15.1R7-S6", "CVE-2020-1631", "affected"),
        # Sophos XG 17.x: fixed by a hotfix the version does not show
        ("Sophos", "XG 230", "17.5.12 MR-12", "CVE-2020-15069", "possible"),
        ("Sophos", "XG 230", "18.0.0 GA-Build339", "CVE-2020-15069", None),
        # SEIL (JVN#76692689): the release the published show system prints, and 5.72
        ("IIJ", "SEIL/X1", "4.00", "CVE-2017-10856", None),
        ("IIJ", "SEIL/X1", "4.60", "CVE-2017-10856", "affected"),
        ("IIJ", "SEIL/X2", "5.72", "CVE-2017-10856", "affected"),
        ("IIJ", "SEIL/X2", "5.73", "CVE-2017-10856", None),
        ("BUFFALO", "WSR-2533DHP3-BK", "1.24", "CVE-2021-20091", "affected"),
        ("BUFFALO", "WSR-2533DHP3-BK", "1.25", "CVE-2021-20091", None),
        # YAMAHA (JVN#69967692): last affected per model; NVR500 and FWX120 differ
        ("YAMAHA", "RTX810", "Rev.11.01.31", "CVE-2018-0665", "affected"),
        ("YAMAHA", "RTX810", "Rev.11.01.32", "CVE-2018-0665", None),
        ("YAMAHA", "FWX120", "Rev.11.03.25", "CVE-2018-0666", "affected"),
        ("YAMAHA", "FWX120", "Rev.11.03.27", "CVE-2018-0666", None),
        ("YAMAHA", "RTX1210", "Rev.14.01.20", "CVE-2018-0666", None),
    ],
)
def test_boundaries_seen_by_firmware_check(
    tmp_path: Path, vendor: str, model: str, version: str, cve: str, status: str | None
) -> None:
    kb = open_knowledge_base(tmp_path / "absent.sqlite3")
    result = kb.check_firmware(vendor, model, version)
    assert {m.cve: m.status for m in result.matches}.get(cve) == status, result.status


def test_vulndb_status_reports_the_lines_the_added_entries_cover(tmp_path: Path) -> None:
    """Junos and SEIL got versions on 2026-12-07; the lines still without data stay
    "not covered" in `kenshin vulndb status --json`."""
    import json

    from typer.testing import CliRunner

    from kenshin.cli import app

    kb = str(tmp_path / "absent.sqlite3")
    result = CliRunner().invoke(app, ["vulndb", "status", "--kb", kb, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    lines = {line["key"]: line["covered"] for line in data["product_lines"]}
    for covered in ("junos", "seil", "sonicwall_sma", "futurenet"):
        assert lines[covered] is True, covered
    for uncovered in ("nec_ix", "fitelnet", "cisco_ios", "sophos_utm", "alliedware_plus"):
        assert lines[uncovered] is False, uncovered
    assert data["snapshot_count"] == len(ENTRIES)
