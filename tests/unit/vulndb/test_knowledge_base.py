"""The knowledge base as others call it: snapshot facts, KEV, the done-means checks."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kenshin.domain import Confidence
from kenshin.vulndb import KnowledgeBase, ProductQuery, open_knowledge_base
from kenshin.vulndb.records import parse_nvd_record
from kenshin.vulndb.snapshot import Snapshot, load_snapshot
from kenshin.vulndb.sources.kev import parse_csv, parse_json
from kenshin.vulndb.update import sources_from_files, update_knowledge_base


@pytest.fixture(params=["snapshot-only", "built"])
def kb(request: pytest.FixtureRequest, tmp_path: Path) -> KnowledgeBase:
    """The same expectations with no built file (shipped snapshot) and with real data."""
    if request.param == "snapshot-only":
        return open_knowledge_base(tmp_path / "absent.sqlite3")
    path: Path = request.getfixturevalue("real_kb_path")
    return open_knowledge_base(path)


def _cves(
    kb: KnowledgeBase, vendor: str, model: str, version: str | None, status: str = "affected"
) -> dict[str, object]:
    result = kb.check_firmware(vendor, model, version)
    return {m.cve: m for m in result.matches if m.status == status}


def test_fortios_7_0_11(kb: KnowledgeBase) -> None:
    result = kb.check_firmware("fortinet", "fortigate", "v7.0.11,build0489 (GA)")
    assert result.status == "affected"
    assert result.normalised_version == "7.0.11"
    found = {m.cve: m for m in result.matches if m.status == "affected"}
    for cve, fixed in (("CVE-2023-27997", "7.0.12"), ("CVE-2024-21762", "7.0.14")):
        match = found[cve]
        assert match.kev
        assert match.ransomware
        assert match.fixed_version == fixed
        assert match.title_ja
        assert match.advice_ja.startswith(fixed)
        # the upgrade is said once: the snapshot's advice adds only what else to do
        assert match.advice_ja.count("更新してください") == 1, match.advice_ja
        assert match.advice_en.count("Upgrade") == 1, match.advice_en
    assert found["CVE-2023-27997"].kev_date == date(2023, 6, 13)
    # the update, structured for the report: product, fixed version, scheme, other steps
    upgrade = found["CVE-2023-27997"].upgrade()
    assert upgrade is not None
    assert (upgrade.product, upgrade.fixed_version, upgrade.scheme) == (
        "FortiOS",
        "7.0.12",
        "fortios",
    )
    assert upgrade.steps_ja
    assert found["CVE-2023-27997"].advice_ja.endswith(upgrade.steps_ja)
    assert "更新してください" not in upgrade.steps_ja.replace("更新まで", "")
    assert "CVE-2022-42475" not in found  # fixed in 7.0.9
    assert "CVE-2022-40684" not in found  # fixed in 7.0.7


def test_fortios_7_0_17_is_clean(kb: KnowledgeBase) -> None:
    result = kb.check_firmware("Fortinet", "FortiGate 60F", "7.0.17")
    assert result.status == "not_affected"
    assert not [m for m in result.matches if m.status != "no_version_data"]


def test_fortios_branch_aware_fix(kb: KnowledgeBase) -> None:
    found = _cves(kb, "Fortinet", "FortiGate", "7.2.4")
    assert found["CVE-2023-27997"].fixed_version == "7.2.5"  # type: ignore[attr-defined]
    assert found["CVE-2024-21762"].fixed_version == "7.2.7"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("version", "affected", "fixed"),
    [
        ("10.2.9", True, "10.2.9-h1"),
        ("10.2.9-h1", False, None),
        ("10.2.8", True, "10.2.8-h3"),
        ("10.2.8-h3", False, None),
        ("10.2.10", False, None),
        ("11.1.2-h1", True, "11.1.2-h3"),
        ("10.1.12", False, None),
    ],
)
def test_panos_hotfixes(kb: KnowledgeBase, version: str, affected: bool, fixed: str | None) -> None:
    found = _cves(kb, "Palo Alto Networks", "PA-440", version)
    assert ("CVE-2024-3400" in found) is affected
    if affected:
        match = found["CVE-2024-3400"]
        assert match.fixed_version == fixed  # type: ignore[attr-defined]
        assert match.kev  # type: ignore[attr-defined]


def test_ivanti_22_7r2_3(kb: KnowledgeBase) -> None:
    result = kb.check_firmware("Ivanti", "Connect Secure", "22.7R2.3 (build 3431)")
    assert result.status == "affected"
    found = {m.cve: m for m in result.matches if m.status == "affected"}
    assert found["CVE-2025-0282"].fixed_version == "22.7R2.5"
    assert found["CVE-2025-0282"].kev
    assert "CVE-2019-11510" not in found
    assert "CVE-2023-46805" not in found
    # 22.7R2.5 fixes CVE-2025-0282 but not CVE-2025-22457 (fixed in 22.7R2.6)
    assert set(_cves(kb, "Ivanti", "Connect Secure", "22.7R2.5")) == {"CVE-2025-22457"}
    assert _cves(kb, "Ivanti", "Connect Secure", "22.7R2.6") == {}


def test_yamaha_rtx_revision(kb: KnowledgeBase) -> None:
    found = _cves(kb, "YAMAHA", "RTX1210", "Rev.14.01.38")
    # JVNVU#91161784 holds two CVEs with the same affected releases
    assert set(found) == {"CVE-2021-20843", "CVE-2021-20844"}
    assert found["CVE-2021-20843"].jvn_ids == ("JVNVU#91161784",)  # type: ignore[attr-defined]
    assert _cves(kb, "YAMAHA", "RTX1210", "Rev.14.01.41") == {}
    older = _cves(kb, "YAMAHA", "RTX1210", "Rev.14.01.33")
    assert set(older) == {"CVE-2020-5548", "CVE-2021-20843", "CVE-2021-20844"}


@pytest.mark.parametrize("version", [None, "", "unknown", "不明"])
def test_unknown_version_is_never_silent(kb: KnowledgeBase, version: str | None) -> None:
    result = kb.check_firmware("Ivanti", "Connect Secure", version)
    assert result.status == "version_unknown"
    assert "ベンダ" in result.message_ja
    assert "Ask the vendor" in result.message_en
    assert "CVE-2025-0282" in {m.cve for m in result.matches}  # KEV hints, as "possible"
    assert {m.status for m in result.matches} == {"possible"}


def test_unknown_product(kb: KnowledgeBase) -> None:
    result = kb.check_firmware("Acme", "Router 9000", "1.0")
    assert result.status == "unknown_product"
    assert result.matches == ()


def test_unanalysed_cve_without_snapshot_is_no_version_data(real_kb_path: Path) -> None:
    empty = Snapshot(date="2026-11-26", entries={})
    kb = KnowledgeBase(real_kb_path, snapshot=empty)
    found = {m.cve: m for m in kb.match(ProductQuery("Palo Alto Networks", "PAN-OS", "10.2.9"))}
    match = found["CVE-2024-3400"]
    assert match.status == "no_version_data"
    assert match.confidence is Confidence.LOW
    assert "no version data yet" in match.evidence
    assert match.kev
    assert match.kev_date == date(2024, 4, 12)


def test_unanalysed_cve_is_matched_through_the_snapshot(real_kb_path: Path) -> None:
    kb = open_knowledge_base(real_kb_path)
    match = next(
        m
        for m in kb.match(ProductQuery("Palo Alto Networks", "PAN-OS", "10.2.9"))
        if m.cve == "CVE-2024-3400"
    )
    assert match.status == "affected"
    assert "no version data yet" in match.evidence
    assert "snapshot" in match.evidence


def test_kev_flags_come_from_the_catalogue(real_kb_path: Path, public_data: Path) -> None:
    catalogue = json.loads(
        (public_data / "kev" / "known_exploited_vulnerabilities.json").read_text("utf-8")
    )
    entry = next(v for v in catalogue["vulnerabilities"] if v["cveID"] == "CVE-2024-23113")
    kb = open_knowledge_base(real_kb_path)
    match = next(
        m
        for m in kb.match(ProductQuery("Fortinet", "FortiGate", "7.0.13"))
        if m.cve == "CVE-2024-23113"
    )
    assert match.kev_date == date.fromisoformat(entry["dateAdded"])
    assert match.ransomware is (entry["knownRansomwareCampaignUse"] == "Known") is False


def test_kev_from_the_nvd_record_when_the_catalogue_is_older(real_kb_path: Path) -> None:
    # NVD says CISA added CVE-2015-3306 on 2026-10-08; the 2025-08-25 catalogue has not
    kb = open_knowledge_base(real_kb_path)
    match = next(m for m in kb.match(ProductQuery("ProFTPD", "ProFTPD", "1.3.5")))
    assert match.cve == "CVE-2015-3306"
    assert match.kev
    assert match.kev_date == date(2026, 10, 8)
    assert "NVD record" in match.evidence
    assert kb.match(ProductQuery("ProFTPD", "ProFTPD", "1.3.6")) == []


def test_kev_json_and_csv_agree(public_data: Path) -> None:
    from_json, version = parse_json(
        (public_data / "kev" / "known_exploited_vulnerabilities.json").read_text("utf-8")
    )
    from_csv, _ = parse_csv(
        (public_data / "kev" / "known_exploited_vulnerabilities.csv").read_text("utf-8")
    )
    assert version == "2025.08.25"
    assert len(from_json) == len(from_csv) == 1404
    by_id = {e.cve: e for e in from_csv}
    for entry in from_json:
        other = by_id[entry.cve]
        assert (other.date_added, other.ransomware, other.due_date) == (
            entry.date_added,
            entry.ransomware,
            entry.due_date,
        )


def test_snapshot_facts_agree_with_the_real_records(public_data: Path) -> None:
    snapshot = load_snapshot()
    catalogue = {
        v["cveID"]: v
        for v in json.loads(
            (public_data / "kev" / "known_exploited_vulnerabilities.json").read_text("utf-8")
        )["vulnerabilities"]
    }
    checked_nvd = checked_kev = 0
    for entry in snapshot.entries.values():
        assert entry.title_ja
        assert entry.title_en
        assert entry.advice_ja
        assert entry.advice_en
        assert "修正版へ更新" not in entry.advice_ja, entry.cve  # composed from the range
        if "kev" in entry.checked:
            kev = catalogue[entry.cve]
            assert entry.kev == date.fromisoformat(kev["dateAdded"]), entry.cve
            assert entry.ransomware is (kev["knownRansomwareCampaignUse"] == "Known"), entry.cve
            checked_kev += 1
        elif entry.cve in catalogue:
            pytest.fail(f"{entry.cve} is in KEV but its entry does not say it was checked")
        record_file = public_data / "nvd" / f"{entry.cve}.json"
        if "nvd" in entry.checked:
            record = parse_nvd_record(json.loads(record_file.read_text("utf-8")))
            assert entry.cvss == record.cvss, entry.cve
            checked_nvd += 1
    assert checked_nvd >= 20
    assert checked_kev >= 20


def test_snapshot_is_dated_and_large_enough() -> None:
    snapshot = load_snapshot()
    assert snapshot.date == "2026-11-26"
    wanted = {
        "CVE-2018-13379",
        "CVE-2018-13382",
        "CVE-2019-5591",
        "CVE-2020-12812",
        "CVE-2022-40684",
        "CVE-2022-42475",
        "CVE-2023-27997",
        "CVE-2024-21762",
        "CVE-2024-23113",
        "CVE-2024-47575",
        "CVE-2019-11510",
        "CVE-2023-46805",
        "CVE-2024-21887",
        "CVE-2025-0282",
        "CVE-2019-19781",
        "CVE-2023-3519",
        "CVE-2023-4966",
        "CVE-2020-2021",
        "CVE-2024-3400",
        "CVE-2021-20016",
        "CVE-2024-40766",
        "CVE-2020-3452",
        "CVE-2023-20198",
        "CVE-2020-5548",
        "CVE-2021-20843",
        "CVE-2024-6387",
        "CVE-2011-2523",
        "CVE-2015-3306",
        "CVE-2019-0708",
        "CVE-2017-0144",
        "CVE-2021-26855",
    }
    assert wanted <= set(snapshot.entries)


@pytest.mark.parametrize(
    ("banner", "status", "confidence"),
    [
        ("OpenSSH_9.2p1 Debian-2+deb12u3", None, None),  # fixed by Debian's backport
        ("OpenSSH_9.2p1 Debian-2+deb12u2", "affected", Confidence.HIGH),
        ("OpenSSH_9.6p1 Ubuntu-3ubuntu13.3", None, None),
        ("OpenSSH_9.0p1 Debian-1+deb12u1", "possible", Confidence.LOW),  # no fix data: verify
        ("OpenSSH_9.3p1", "affected", Confidence.HIGH),  # upstream build
        ("OpenSSH_9.8p1", None, None),
        ("OpenSSH_8.4p1 Debian-5+deb11u3", None, None),  # before the regression
    ],
)
def test_backports(
    kb: KnowledgeBase, banner: str, status: str | None, confidence: Confidence | None
) -> None:
    found = {m.cve: m for m in kb.match(ProductQuery("OpenBSD", "OpenSSH", banner))}
    match = found.get("CVE-2024-6387")
    if status is None:
        assert match is None
    else:
        assert match is not None
        assert match.status == status
        assert match.confidence is confidence


def test_windows_patch_level_is_only_possible(kb: KnowledgeBase) -> None:
    found = {m.cve: m for m in kb.match(ProductQuery("Microsoft", "Windows 7", "6.1.7601"))}
    assert found["CVE-2019-0708"].status == "possible"
    assert found["CVE-2017-0144"].status == "possible"
    assert kb.match(ProductQuery("Microsoft", "Windows 11", "10.0.22631")) == []


def test_match_by_cpe(kb: KnowledgeBase) -> None:
    found = kb.match(ProductQuery(cpe="cpe:2.3:a:vsftpd_project:vsftpd:2.3.4:*:*:*:*:*:*:*"))
    assert [m.cve for m in found] == ["CVE-2011-2523"]
    assert kb.match(ProductQuery(cpe="cpe:2.3:a:vsftpd_project:vsftpd:3.0.3:*:*:*:*:*:*:*")) == []


def test_results_are_sorted_and_serialisable(kb: KnowledgeBase) -> None:
    matches = kb.match(ProductQuery("Fortinet", "FortiGate", "6.0.4"))
    assert [m.status for m in matches] == sorted(
        (m.status for m in matches), key=["affected", "possible", "no_version_data"].index
    )
    json.dumps([m.to_dict() for m in matches], ensure_ascii=False)
    assert any(m.cve == "CVE-2018-13379" and m.fixed_version == "6.0.5" for m in matches)


def test_status(real_kb_path: Path, tmp_path: Path) -> None:
    built = open_knowledge_base(real_kb_path).status()
    assert built.cve_count == 26
    assert built.kev_count == 1404
    assert built.jvn_count == 7
    assert built.kev_catalog_version == "2025.08.25"
    none = open_knowledge_base(tmp_path / "absent.sqlite3").status()
    assert none.path is None
    assert none.snapshot_count >= 30


def test_jvn_ranges_give_medium_confidence_matches(real_kb_path: Path) -> None:
    kb = KnowledgeBase(real_kb_path, snapshot=Snapshot(date="x", entries={}))
    found = {m.cve: m for m in kb.match(ProductQuery("NEC", "Aterm WG2600HS", "1.7.1"))}
    assert found["CVE-2025-0354"].status == "affected"
    assert found["CVE-2025-0354"].confidence is Confidence.MEDIUM
    assert found["CVE-2025-0354"].title_ja.startswith("JVNDB-2025-000002")
    assert "JVNDB-2025-000002" in found["CVE-2025-0354"].jvn_ids
    fixed = {
        m.cve
        for m in kb.match(ProductQuery("NEC", "Aterm WG2600HS", "1.7.2"))
        if m.status == "affected"
    }
    assert "CVE-2025-0354" not in fixed


def test_one_source_can_be_refreshed_alone(public_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite3"
    update_knowledge_base(path, sources_from_files(public_data, ["nvd"]))
    update_knowledge_base(path, sources_from_files(public_data, ["kev"]))
    status = open_knowledge_base(path).status()
    assert status.cve_count == 26
    assert status.kev_count == 1404


def test_scanner_style_query_without_vendor(kb: KnowledgeBase) -> None:
    # what a service scan knows: nmap-style product and version, no vendor
    found = {m.cve: m for m in kb.match(ProductQuery("", "OpenSSH", "9.2p1 Debian 2+deb12u2"))}
    assert found["CVE-2024-6387"].status == "affected"
    assert kb.match(ProductQuery("", "OpenSSH", "9.2p1 Debian 2+deb12u3")) == []
    vsftpd = kb.match(ProductQuery("", "vsftpd", "2.3.4"))
    assert [m.cve for m in vsftpd] == ["CVE-2011-2523"]
