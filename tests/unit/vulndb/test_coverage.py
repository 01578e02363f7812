"""What the knowledge base covers: sources with dates, product lines, "not covered".

Uses the shipped snapshot alone (no built knowledge base), and a small knowledge base
built in the test from two records written here (facts only, see the comments).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kenshin.cli import app
from kenshin.domain import Device, DeviceRole, Engagement, VersionSource
from kenshin.report.model import FirmwareStatus
from kenshin.report.sources import firmware_rows, knowledge_versions
from kenshin.vulndb import open_knowledge_base
from kenshin.vulndb.records import parse_nvd_record
from kenshin.vulndb.store import building


def test_snapshot_alone_covers_fortios_not_nec_ix(tmp_path: Path) -> None:
    kb = open_knowledge_base(tmp_path / "absent.sqlite3")
    assert kb.coverage("Fortinet", "FortiGate-60F").covered
    ix = kb.coverage("NEC", "UNIVERGE IX2215")
    assert not ix.covered
    assert ix.records == {"nvd": 0, "kev": 0, "jvn": 0, "snapshot": 0}
    lines = {c.key: c for c in kb.status().product_lines}
    assert lines["fortios"].covered
    assert not lines["nec_ix"].covered


def test_uncovered_product_is_never_reported_as_having_none(tmp_path: Path) -> None:
    kb = open_knowledge_base(tmp_path / "absent.sqlite3")
    result = kb.check_firmware("NEC", "UNIVERGE IX2215", "10.2.16")
    assert result.status == "not_covered"
    assert "対象外" in result.message_ja
    assert "既知の脆弱性なし" not in result.message_ja
    assert "not covered by the knowledge base" in result.message_en
    assert "advisories" in result.message_en
    # 11.2.4-h4: at or past the fix of every PAN-OS entry that names 11.2 (10.2.9-h1,
    # used before, is inside the ranges of CVE-2024-0012 and CVE-2025-0108)
    covered = kb.check_firmware("Palo Alto Networks", "PA-440", "11.2.4-h4")
    assert covered.status == "not_affected"
    assert "kenshin snapshot 2026-11-26" in covered.message_en
    assert "NVD" not in covered.message_en  # not loaded: not named


def test_firmware_check_cli_says_not_covered(tmp_path: Path) -> None:
    kb = str(tmp_path / "absent.sqlite3")
    args = ["firmware", "check", "--vendor", "NEC", "--product", "IX2215", "--version", "10.2.16"]
    result = CliRunner().invoke(app, [*args, "--kb", kb, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "not_covered"
    text = CliRunner().invoke(app, ["--lang", "en", *args, "--kb", kb])
    assert "not covered by the knowledge base" in text.output


def _engagement(demo: Engagement) -> Engagement:
    device = Device(
        key="DEV-IX",
        name="IX",
        vendor="NEC",
        model="UNIVERGE IX2215",
        role=DeviceRole.ROUTER,
        firmware_version="10.2.16",
        version_source=VersionSource.VENDOR,
    )
    return dataclasses.replace(demo, devices=(device,))


def test_report_firmware_table_says_not_covered(
    tmp_path: Path, demo_engagement: Engagement
) -> None:
    kb = open_knowledge_base(tmp_path / "absent.sqlite3")
    (row,) = firmware_rows(_engagement(demo_engagement), kb)
    assert row.status is FirmwareStatus.NOT_COVERED
    assert "対象外" in row.advice_ja
    names = [k.name for k in knowledge_versions(kb)]
    assert names == ["kenshin snapshot", "CISA KEV (bundled facts)"]  # only what is loaded


def _record(cve: str, product: str, end: str) -> dict[str, object]:
    """An NVD CVE API 2.0 record reduced to the facts the matcher reads. Synthetic: it
    stands for "NVD describes this CVE under this product name", not a real record."""
    return {
        "id": cve,
        "published": "2023-07-19T00:00:00.000",
        "lastModified": "2024-01-01T00:00:00.000",
        "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": "synthetic test record"}],
        "metrics": {},
        "configurations": [
            {
                "nodes": [
                    {
                        "operator": "OR",
                        "negate": False,
                        "cpeMatch": [
                            {
                                "vulnerable": True,
                                "criteria": f"cpe:2.3:a:citrix:{product}:*:*:*:*:*:*:*:*",
                                "versionStartIncluding": "13.0",
                                "versionEndExcluding": end,
                            }
                        ],
                    }
                ]
            }
        ],
    }


def test_snapshot_never_answers_for_a_line_nvd_describes(tmp_path: Path) -> None:
    """CVE-2023-3519: the snapshot lists it for the ADC and Gateway names; NVD here
    describes it under ``citrix:gateway`` only, fixed (in this synthetic record) before
    13.0-40.0. A Gateway 13.0-50.1 must be answered by NVD (not affected), not by the
    ADC family's snapshot entry (fixed in 13.0-91.13)."""
    path = tmp_path / "kb.sqlite3"
    with building(path, incremental=False) as writer:
        writer.add_cves([parse_nvd_record(_record("CVE-2023-3519", "gateway", "13.0-40.0"))])
    kb = open_knowledge_base(path)
    try:
        result = kb.check_firmware("Citrix", "NetScaler Gateway", "13.0-50.1")
        assert "CVE-2023-3519" not in {m.cve for m in result.matches}
        old = kb.check_firmware("Citrix", "NetScaler Gateway", "13.0-30.1")
        assert "CVE-2023-3519" in {m.cve for m in old.matches}
    finally:
        kb.close()
    snapshot_only = open_knowledge_base(tmp_path / "absent.sqlite3")
    result = snapshot_only.check_firmware("Citrix", "NetScaler Gateway", "13.0-50.1")
    assert "CVE-2023-3519" in {m.cve for m in result.matches}


def test_vulndb_status_json_lists_sources_and_lines(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["vulndb", "status", "--kb", str(tmp_path / "absent.sqlite3"), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    sources = {s["name"]: s for s in data["sources"]}
    assert sources["CISA KEV (bundled facts)"]["version"] == "2025.08.25"
    assert sources["kenshin snapshot"] == {
        "name": "kenshin snapshot", "loaded": True, "records": data["snapshot_count"],
        "date": "2026-11-26", "version": None,
    }  # fmt: skip
    assert not sources["NVD"]["loaded"]
    lines = {line["key"]: line for line in data["product_lines"]}
    assert lines["fortios"]["covered"]
    assert lines["nec_ix"]["covered"] is False


def test_uncovered_line_with_kev_entries_names_them(tmp_path: Path) -> None:
    kb = open_knowledge_base(tmp_path / "absent.sqlite3")
    # Cisco IOS (classic): KEV names it, the snapshot has no versions for it. (Junos,
    # used before, got versions from the J-Web entries.)
    result = kb.check_firmware("Cisco", "C2911", "15.1(4)M4")
    assert result.status == "not_covered"
    assert "CVE-2004-1464" in result.message_en
    assert "CISA KEV" in result.message_ja


@pytest.mark.parametrize(
    ("vendor", "model", "version", "cve", "status"),
    [
        ("Sophos", "SFOS", "18.5.3 MR-3-Build408", "CVE-2022-1040", "affected"),
        ("Sophos", "SFOS", "18.5.4 MR-4-Build418", "CVE-2022-1040", None),
        ("Sophos", "XGS2100", "19.0.1 MR-1-Build365", "CVE-2022-3236", "affected"),
        ("Sophos", "XGS2100", "19.5.3 MR-3-Build652", "CVE-2022-3236", None),
        ("WatchGuard", "T45", "12.7.2 Update 1", "CVE-2022-26318", "affected"),
        ("WatchGuard", "T45", "12.7.2 Update 2", "CVE-2022-26318", None),
        ("WatchGuard", "T45", "12.3.1", "CVE-2022-26318", "affected"),
        ("WatchGuard", "T45", "12.7.2", "CVE-2022-23176", "affected"),
        ("WatchGuard", "T45", "12.7.2 Update 1", "CVE-2022-23176", None),
        ("Check Point", "Gaia", "R81.20", "CVE-2024-24919", "possible"),
        ("Check Point", "Gaia", "R82", "CVE-2024-24919", None),
        ("Sophos", "XG 230", "17.5.9 MR-9", "CVE-2020-12271", "possible"),
        ("Cisco", "ISR4331/K9", "17.9.4", "CVE-2023-20273", "affected"),
        ("Cisco", "ISR4331/K9", "17.9.4a", "CVE-2023-20273", None),
        ("Sophos", "XG 230", "18.5.1 MR-1-Build326", "CVE-2020-12271", None),
        ("Fortinet", "FortiGate-60E", "v6.0.2,build0163,180725 (GA)", "CVE-2018-13374", "affected"),
        ("Fortinet", "FortiGate-60E", "v6.0.3,build0200,181009 (GA)", "CVE-2018-13374", None),
        (
            "Fortinet",
            "FortiGate-60F",
            "v7.2.3,build1262,221109 (GA.F)",
            "CVE-2022-41328",
            "affected",
        ),
        ("Fortinet", "FortiGate-60F", "v7.2.4,build1396,230131 (GA.F)", "CVE-2022-41328", None),
        ("Fortinet", "FortiGate-60F", "v6.4.7,build1911,210726 (GA)", "CVE-2021-44168", "affected"),
        ("Fortinet", "FortiGate-60F", "v6.4.8,build1914,211117 (GA)", "CVE-2021-44168", None),
        ("Fortinet", "FortiGate-60F", "v6.0.4,build0231,190107 (GA)", "CVE-2018-13383", "affected"),
        ("Fortinet", "FortiGate-60F", "v6.0.5,build0268,190507 (GA)", "CVE-2018-13383", None),
        ("Fortinet", "FortiGate-60F", "v6.2.0,build0866,190328 (GA)", "CVE-2019-6693", "affected"),
        ("Fortinet", "FortiGate-60F", "v6.2.1,build0932,190716 (GA)", "CVE-2019-6693", None),
        ("Ivanti", "Connect Secure", "22.7R2.5 (build 3695)", "CVE-2025-22457", "affected"),
        ("Ivanti", "Connect Secure", "22.7R2.6 (build 3832)", "CVE-2025-22457", None),
        ("Pulse Secure", "Pulse Connect Secure", "9.1R18.9", "CVE-2025-22457", "affected"),
    ],
)
def test_added_snapshot_entries(
    tmp_path: Path, vendor: str, model: str, version: str, cve: str, status: str | None
) -> None:
    kb = open_knowledge_base(tmp_path / "absent.sqlite3")
    result = kb.check_firmware(vendor, model, version)
    found = {m.cve: m.status for m in result.matches}
    assert found.get(cve) == status


def test_fireware_build_label_alone_is_not_a_version(tmp_path: Path) -> None:
    kb = open_knowledge_base(tmp_path / "absent.sqlite3")
    assert kb.check_firmware("WatchGuard", "T45", "12.10.2.B692418").status == "version_unknown"


def test_kev_fact_script_selects_edge_products(tmp_path: Path) -> None:
    catalogue = {
        "catalogVersion": "2099.01.01",
        "dateReleased": "2099-01-01T00:00:00.000Z",
        "vulnerabilities": [
            {"cveID": "CVE-2099-0001", "vendorProject": "Fortinet", "product": "FortiOS",
             "dateAdded": "2099-01-01", "knownRansomwareCampaignUse": "Known"},
            {"cveID": "CVE-2099-0002", "vendorProject": "Fortinet", "product": "FortiWeb",
             "dateAdded": "2099-01-01", "knownRansomwareCampaignUse": "Unknown"},
            {"cveID": "CVE-2099-0003", "vendorProject": "Juniper", "product": "Junos OS",
             "dateAdded": "2099-01-02", "knownRansomwareCampaignUse": "Unknown"},
        ],
    }  # fmt: skip
    source = tmp_path / "kev.json"
    source.write_text(json.dumps(catalogue), "utf-8")
    out = tmp_path / "facts.yaml"
    script = Path(__file__).resolve().parents[3] / "scripts" / "kev_edge_facts.py"
    done = subprocess.run(
        [sys.executable, str(script), str(source), str(out)], capture_output=True, check=True
    )
    assert b"2 KEV entries" in done.stdout
    data = yaml.safe_load(out.read_text("utf-8"))
    assert data["catalog_version"] == "2099.01.01"
    assert [(e["cve"], e["line"], e["ransomware"]) for e in data["entries"]] == [
        ("CVE-2099-0003", "junos", False),
        ("CVE-2099-0001", "fortios", True),
    ]


def test_shipped_kev_facts_name_known_lines() -> None:
    from kenshin.vulndb.products import rules
    from kenshin.vulndb.snapshot import load_kev_facts

    keys = {r.key for r in rules()}
    facts = load_kev_facts()
    assert len(facts.entries) >= 100
    assert {f.line for f in facts.entries.values()} <= keys


def test_kev_entries_alone_do_not_cover_a_product(tmp_path: Path) -> None:
    from datetime import date

    from kenshin.vulndb.store import KevEntry

    path = tmp_path / "kb.sqlite3"
    with building(path, incremental=False) as writer:
        writer.add_kev(
            [
                KevEntry(
                    "CVE-2004-1464", "Cisco", "IOS", "name",
                    date(2023, 5, 19), None, False,
                )
            ],
            "2025.08.25",
        )  # fmt: skip
    kb = open_knowledge_base(path)
    try:
        # Cisco IOS: the snapshot has no versions for it (Junos, used before, has)
        coverage = kb.coverage("Cisco", "C2911")
        assert coverage.records["kev"] == 1
        assert not coverage.covered
        assert kb.check_firmware("Cisco", "C2911", "15.1(4)M4").status == "not_covered"
        assert [s.name for s in kb.sources() if s.loaded] == [
            "CISA KEV", "kenshin snapshot", "CISA KEV (bundled facts)",
        ]  # fmt: skip
    finally:
        kb.close()
