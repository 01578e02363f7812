"""Snapshot entries added in the second pass of issue 16: Japanese edge routers (JVN)
and KEV entries whose ranges the public record states exactly.

Each case checks the shipped snapshot alone (no built knowledge base) with versions the
entry was not written from: the first fixed release the vendor or JVN names (JVNVU#91161784
fixed-version list, FortiGuard FG-IR-24-535, Cisco's and Palo Alto's first fixed
releases, Pulse Secure SA44784), a release just before the range starts, and a release
on another line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kenshin.vulndb import open_knowledge_base


@pytest.mark.parametrize(
    ("vendor", "model", "version", "cve", "status"),
    [
        # YAMAHA (JVNVU#91161784): last affected per model, fixed per JVN's list
        ("YAMAHA", "RTX1210", "Rev.14.01.38", "CVE-2021-20844", "affected"),
        ("YAMAHA", "RTX1210", "Rev.14.01.40", "CVE-2021-20844", None),
        ("YAMAHA", "RTX830", "Rev.15.02.03", "CVE-2021-20844", "affected"),
        ("YAMAHA", "RTX830", "Rev.15.02.20", "CVE-2021-20844", None),
        ("YAMAHA", "NVR700W", "Rev.15.00.22", "CVE-2021-20844", None),
        # JVN#38732359 (YAMAHA's page): between the last affected and the first fixed
        # release nothing is claimed
        ("YAMAHA", "FWX120", "Rev.11.03.27", "CVE-2020-5548", "affected"),
        ("YAMAHA", "FWX120", "Rev.11.03.28", "CVE-2020-5548", None),
        ("YAMAHA", "FWX120", "Rev.11.03.29", "CVE-2020-5548", None),
        # a model the advisory does not name gets nothing from it
        ("YAMAHA", "RTX1300", "Rev.23.00.01", "CVE-2021-20844", None),
        # Century Systems FutureNet (JVNVU#95001899): from/fixed per series
        ("Century Systems", "NXR-G110", "21.15.8", "CVE-2024-50357", "affected"),
        ("Century Systems", "NXR-G110", "21.15.9", "CVE-2024-50357", None),
        ("Century Systems", "NXR-G110", "21.15.6", "CVE-2024-50357", None),
        ("Century Systems", "NXR-G050", "21.12.5", "CVE-2024-50357", "affected"),
        ("Century Systems", "NXR-G050", "21.12.11", "CVE-2024-50357", None),
        # NXR-G060: every release before 21.15.6C1 (letter and build number kept)
        ("Century Systems", "NXR-G060", "21.15.6", "CVE-2024-50357", "affected"),
        ("Century Systems", "NXR-G060", "21.15.6C", "CVE-2024-50357", "affected"),
        ("Century Systems", "NXR-G060", "21.15.6C1", "CVE-2024-50357", None),
        ("Century Systems", "NXR-G060", "21.15.7", "CVE-2024-50357", None),
        # I-O DATA UD-LT1 (JVN#46615026): 2.1.9 fixes only CVE-2024-52564
        ("I-O DATA", "UD-LT1", "2.1.8", "CVE-2024-52564", "affected"),
        ("I-O DATA", "UD-LT1", "2.1.9", "CVE-2024-52564", None),
        ("I-O DATA", "UD-LT1", "2.1.8", "CVE-2024-47133", "affected"),
        ("I-O DATA", "UD-LT1/EX", "2.1.8", "CVE-2024-45841", "affected"),
        ("I-O DATA", "UD-LT1/EX", "2.2.0", "CVE-2024-45841", None),
        ("I-O DATA", "UD-LT1", "2.2.0", "CVE-2024-47133", None),
        # BUFFALO (KEV, NVD): last affected releases
        ("BUFFALO", "WSR-2533DHPL2-BK", "1.02", "CVE-2021-20090", "affected"),
        ("BUFFALO", "WSR-2533DHPL2-BK", "1.03", "CVE-2021-20090", None),
        ("BUFFALO", "WSR-2533DHP3-BK", "1.24", "CVE-2021-20090", "affected"),
        ("BUFFALO", "WSR-2533DHP3-BK", "1.25", "CVE-2021-20090", None),
        # FortiOS: the CNA names 7.0.16 the last affected; 7.2 is not affected
        ("Fortinet", "FortiGate-60F", "v7.0.16,build0667", "CVE-2025-24472", "affected"),
        ("Fortinet", "FortiGate-60F", "7.0.17", "CVE-2025-24472", None),
        ("Fortinet", "FortiGate-60F", "7.2.0", "CVE-2025-24472", None),
        # PAN-OS GlobalProtect: 8.0.11-h1 is named affected; 8.0.12 and 8.1.3 fix it
        ("Palo Alto Networks", "PA-220", "8.0.11-h1", "CVE-2019-1579", "affected"),
        ("Palo Alto Networks", "PA-220", "8.0.12", "CVE-2019-1579", None),
        ("Palo Alto Networks", "PA-220", "8.1.2", "CVE-2019-1579", "affected"),
        ("Palo Alto Networks", "PA-220", "8.1.3", "CVE-2019-1579", None),
        ("Palo Alto Networks", "PA-220", "9.0.0", "CVE-2019-1579", None),
        ("Palo Alto Networks", "PA-220", "7.1.13", "CVE-2017-15944", "affected"),
        ("Palo Alto Networks", "PA-220", "7.1.14", "CVE-2017-15944", None),
        ("Palo Alto Networks", "PA-220", "8.0.6", "CVE-2017-15944", None),
        ("Palo Alto Networks", "PA-220", "8.1.0", "CVE-2017-15944", None),
        # Cisco ASA / FTD: four-part interim releases are the fixes
        ("Cisco", "ASA 5516-X", "9.12(3)2", "CVE-2020-3259", "affected"),
        ("Cisco", "ASA 5516-X", "9.12(3)9", "CVE-2020-3259", None),
        ("Cisco", "ASA 5516-X", "9.14.1", "CVE-2020-3259", None),
        ("Cisco", "Firepower Threat Defense", "6.4.0.8", "CVE-2020-3259", "affected"),
        ("Cisco", "Firepower Threat Defense", "6.4.0.9", "CVE-2020-3259", None),
        ("Cisco", "Firepower Threat Defense", "6.6.0.1", "CVE-2020-3259", None),
        # SonicWall SMA100 (SNWLID-2023-0018 fixes it in 10.2.1.10-62sv)
        ("SonicWall", "SMA 410", "10.2.1.9-57sv", "CVE-2023-44221", "affected"),
        ("SonicWall", "SMA 410", "10.2.1.10-62sv", "CVE-2023-44221", None),
        ("SonicWall", "SMA 200", "10.2.0.8-37sv", "CVE-2023-44221", "affected"),
        # Pulse Connect Secure: 9.0R3 and later, fixed in 9.1R11.4
        ("Pulse Secure", "Pulse Connect Secure", "9.1R11.3", "CVE-2021-22893", "affected"),
        ("Pulse Secure", "Pulse Connect Secure", "9.0R3", "CVE-2021-22893", "affected"),
        ("Pulse Secure", "Pulse Connect Secure", "9.1R11.4", "CVE-2021-22893", None),
        ("Pulse Secure", "Pulse Connect Secure", "9.0R2", "CVE-2021-22893", None),
    ],
)
def test_second_pass_entries(
    tmp_path: Path, vendor: str, model: str, version: str, cve: str, status: str | None
) -> None:
    kb = open_knowledge_base(tmp_path / "absent.sqlite3")
    result = kb.check_firmware(vendor, model, version)
    found = {m.cve: m.status for m in result.matches}
    assert found.get(cve) == status, (result.status, found)


def test_futurenet_build_suffix_survives_parse_and_check(tmp_path: Path) -> None:
    """`ver 21.15.6C1` once became 21.15.6C, a release before the fix: the fixed
    NXR-G060 was reported as affected by CVE-2024-50357."""
    from kenshin.firmware import parse_device_output

    line = "Century Systems NXR-G060 Series ver 21.15.6C1 (build 3/12:00 31 10 2024)"
    parsed = parse_device_output(line)
    assert (parsed.model, parsed.version) == ("NXR-G060", "21.15.6C1")
    kb = open_knowledge_base(tmp_path / "absent.sqlite3")
    result = kb.check_firmware(parsed.vendor, parsed.model, parsed.version)
    assert "CVE-2024-50357" not in {m.cve for m in result.matches}
    assert result.status == "not_affected"


def test_fixed_release_named_by_the_advisory_is_the_upgrade(tmp_path: Path) -> None:
    kb = open_knowledge_base(tmp_path / "absent.sqlite3")
    result = kb.check_firmware("YAMAHA", "FWX120", "Rev.11.03.27")
    fixes = {m.cve: m.fixed_version for m in result.matches}
    assert fixes["CVE-2020-5548"] == "11.03.29"


def test_japanese_router_lines_become_covered(tmp_path: Path) -> None:
    kb = open_knowledge_base(tmp_path / "absent.sqlite3")
    assert kb.coverage("Century Systems", "NXR-G110").covered
    assert kb.coverage("BUFFALO", "WSR-2533DHPL2-BK").covered
    assert kb.coverage("I-O DATA", "UD-LT1").covered
    # a model of the same line that no record names is still not covered
    assert not kb.coverage("Century Systems", "NXR-120/C").covered
    assert kb.check_firmware("Century Systems", "NXR-120/C", "5.27.1A").status == "not_covered"
    lines = {c.key: c for c in kb.status().product_lines}
    assert lines["futurenet"].covered
    assert lines["buffalo_router"].covered
    assert lines["iodata_router"].covered
    assert not lines["fitelnet"].covered
    # SEIL: covered since CVE-2017-10856 (JVN#76692689) was added
    assert lines["seil"].covered


def test_kev_facts_include_buffalo_routers_filed_under_arcadyan(tmp_path: Path) -> None:
    from kenshin.vulndb.snapshot import load_kev_facts

    assert load_kev_facts().entries["CVE-2021-20090"].line == "buffalo_router"
    catalogue = {
        "catalogVersion": "2099.01.01",
        "dateReleased": "2099-01-01T00:00:00.000Z",
        "vulnerabilities": [
            {"cveID": "CVE-2099-0001", "vendorProject": "Arcadyan", "product": "Buffalo Firmware",
             "dateAdded": "2099-01-01", "knownRansomwareCampaignUse": "Unknown"},
            {"cveID": "CVE-2099-0002", "vendorProject": "Arcadyan", "product": "Routers",
             "dateAdded": "2099-01-01", "knownRansomwareCampaignUse": "Unknown"},
        ],
    }  # fmt: skip
    source = tmp_path / "kev.json"
    source.write_text(json.dumps(catalogue), "utf-8")
    out = tmp_path / "facts.yaml"
    script = Path(__file__).resolve().parents[3] / "scripts" / "kev_edge_facts.py"
    subprocess.run([sys.executable, str(script), str(source), str(out)], check=True,
                   capture_output=True)  # fmt: skip
    data = yaml.safe_load(out.read_text("utf-8"))
    assert [(e["cve"], e["line"]) for e in data["entries"]] == [("CVE-2099-0001", "buffalo_router")]
