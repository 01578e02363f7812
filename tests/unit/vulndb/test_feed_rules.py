"""One rule per feed decision, wherever it is made: the CVSS version taken (NVD and JVN
readers), what a KEV entry says (the knowledge-base reader and the KEV facts script) and
the CPE names a product written in words is filed under (KEV entries and JVN items).

Each test starts from a real public record (tests/fixtures/public) and changes only the
field the rule reads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kenshin.vulndb import ProductQuery, open_knowledge_base
from kenshin.vulndb.kb import KnowledgeBase
from kenshin.vulndb.records import parse_nvd_record
from kenshin.vulndb.sources import JvnFilesSource
from kenshin.vulndb.sources.jvn import parse_vuldef
from kenshin.vulndb.sources.kev import parse_json
from kenshin.vulndb.update import update_knowledge_base

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "kev_edge_facts.py"
JVN_FILE = "jvn/hnd/getVulnDetailInfo_hnd_JVNDB-2018-009328.xml"


def _cvss_node(version: str, base: str) -> str:
    return f'<Cvss version="{version}"><Base>{base}</Base></Cvss>'


def _with_cvss(public_data: Path, *nodes: str) -> str:
    """The real VULDEF document with its CVSS nodes replaced by ``nodes``, in order."""
    text = (public_data / JVN_FILE).read_text("utf-8")
    start = text.index("<Cvss ")
    end = text.rindex("</Cvss>") + len("</Cvss>")
    return text[:start] + "".join(nodes) + text[end:]


def test_real_jvn_record_takes_its_v3_score(public_data: Path) -> None:
    (entry,) = parse_vuldef((public_data / JVN_FILE).read_bytes())
    assert entry.cvss == 9.8  # v2.0 10 listed first, v3.0 9.8 second


def test_jvn_prefers_v3_over_a_later_v4_as_nvd_does(public_data: Path) -> None:
    # the old JVN rule took any version >= "3" listed later, so v4.0 beat v3.0
    text = _with_cvss(public_data, _cvss_node("3.0", "4.7"), _cvss_node("4.0", "6.9"))
    (entry,) = parse_vuldef(text)
    assert entry.cvss == 4.7


def test_jvn_prefers_v31_over_a_later_v30_as_nvd_does(public_data: Path) -> None:
    # the old JVN rule took the last v3 listed, whatever its minor version
    text = _with_cvss(public_data, _cvss_node("3.1", "5.3"), _cvss_node("3.0", "4.7"))
    (entry,) = parse_vuldef(text)
    assert entry.cvss == 5.3


def test_nvd_takes_the_same_version_order(public_data: Path) -> None:
    raw = json.loads((public_data / "nvd" / "CVE-2024-21762.json").read_text("utf-8"))
    metric = {"source": "nvd@nist.gov", "type": "Primary"}
    raw["metrics"] = {
        "cvssMetricV40": [{**metric, "cvssData": {"version": "4.0", "baseScore": 9.3}}],
        "cvssMetricV30": [{**metric, "cvssData": {"version": "3.0", "baseScore": 9.6}}],
        "cvssMetricV31": [{**metric, "cvssData": {"version": "3.1", "baseScore": 9.8}}],
    }
    record = parse_nvd_record(raw)
    assert (record.cvss, record.cvss_version) == (9.8, "3.1")


def _run_script(tmp_path: Path, catalogue: dict[str, object]) -> list[dict[str, object]]:
    source = tmp_path / "kev.json"
    source.write_text(json.dumps(catalogue), "utf-8")
    out = tmp_path / "facts.yaml"
    subprocess.run([sys.executable, str(SCRIPT), str(source), str(out)], check=True)
    entries: list[dict[str, object]] = yaml.safe_load(out.read_text("utf-8"))["entries"]
    return entries


def test_kev_facts_agree_with_the_reader_on_the_real_catalogue(
    public_data: Path, tmp_path: Path
) -> None:
    path = public_data / "kev" / "known_exploited_vulnerabilities.json"
    catalogue = json.loads(path.read_text("utf-8"))
    read = {e.cve: e for e in parse_json(path.read_text("utf-8"))[0]}
    facts = _run_script(tmp_path, catalogue)
    assert facts
    for fact in facts:
        entry = read[str(fact["cve"])]
        assert entry.date_added is not None
        assert (fact["ransomware"], fact["date_added"]) == (
            entry.ransomware,
            entry.date_added.isoformat(),
        )


def test_kev_facts_read_ransomware_and_dates_as_the_reader_does(
    public_data: Path, tmp_path: Path
) -> None:
    # the old script compared with "Known" exactly and copied the date as written
    path = public_data / "kev" / "known_exploited_vulnerabilities.json"
    catalogue = json.loads(path.read_text("utf-8"))
    item = next(
        i
        for i in catalogue["vulnerabilities"]
        if i["vendorProject"] == "Fortinet" and i["product"] == "FortiOS"
    )
    changed = {**item, "knownRansomwareCampaignUse": "known ", "dateAdded": "2024-02-09T00:00:00Z"}
    catalogue["vulnerabilities"] = [changed]
    (entry,), _ = parse_json(json.dumps(catalogue))
    facts = _run_script(tmp_path, catalogue)
    assert entry.ransomware is True
    assert facts == [
        {
            "cve": item["cveID"],
            "date_added": "2024-02-09",
            "vendor": "Fortinet",
            "product": "FortiOS",
            "ransomware": True,
            "line": "fortios",
        }
    ]


def _aterm_kb(public_data: Path, tmp_path: Path, *, keep_cpe: bool) -> KnowledgeBase:
    """A knowledge base of the real JVN detail feed, the Aterm WG2600HS item's CPE
    kept or taken out (JVN leaves it out for some products)."""
    text = (public_data / "jvn/hnd/dataFeed_jvndb_detail_hnd.xml").read_text("utf-8")
    cpe = '<Cpe version="2.2">cpe:/o:nec:aterm_wg2600hs_firmware</Cpe>'
    assert cpe in text
    folder = tmp_path / ("with" if keep_cpe else "without")
    folder.mkdir()
    (folder / "detail.xml").write_text(text if keep_cpe else text.replace(cpe, ""), "utf-8")
    path = tmp_path / f"{folder.name}.sqlite3"
    update_knowledge_base(path, [JvnFilesSource(folder)])
    return open_knowledge_base(path)


@pytest.mark.parametrize("keep_cpe", [True, False])
def test_jvn_item_without_cpe_is_filed_as_kev_entries_are(
    public_data: Path, tmp_path: Path, keep_cpe: bool
) -> None:
    # the old reader filed a CPE-less item under JVN's own words (日本電気 / Aterm WG2600HS
    # ファームウェア), which no query names: the product read as "not covered"
    kb = _aterm_kb(public_data, tmp_path, keep_cpe=keep_cpe)
    assert kb.coverage("NEC", "Aterm WG2600HS").covered
    below = kb.match(ProductQuery(vendor="NEC", product="Aterm WG2600HS", version="1.7.1"))
    assert {m.cve for m in below if m.status == "affected"} >= {"CVE-2025-0354", "CVE-2025-0355"}
    fixed = kb.match(ProductQuery(vendor="NEC", product="Aterm WG2600HS", version="1.7.2"))
    assert not [m for m in fixed if m.status == "affected"]
    kb.close()
