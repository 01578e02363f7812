#!/usr/bin/env python3
"""Make the fact-only public-record fixtures in tests/fixtures/public/ from the originals.

The tests need real NVD, CISA KEV and JVN records, but the repository must stand on its
own and must not carry other people's prose. This script keeps the facts (ids, CPE
configurations, version bounds, CVSS vectors and scores, KEV fields, JVN affected
products, dates, URLs) and replaces free text (descriptions, titles, advice, notes) with
a short line of ours, or with nothing where no test reads it. The quirks the tests exist
for survive: records without ``configurations``, enumerated releases in the CPE update
field, the CISA fields before ``descriptions``, and the two upstream files that are not
well-formed (an unquoted XML attribute, a JSON value left out).

Usage (the originals are laid out as described in their README, e.g. /work/shared/data):

    python scripts/make-public-fixtures.py ORIGINALS [--out tests/fixtures/public]

The output is deterministic: running it twice on the same originals gives byte-identical
files (nothing depends on the clock, the machine or dictionary order).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET

# When the originals were copied from their repositories into the shared data folder this
# script was first run on (the folder's README gives the commits, not a date).
RETRIEVED = "2026-12-06"

NVD_REPO = "fkie-cad/nvd-json-data-feeds"
NVD_COMMITS = {
    "069b486b2e52": "069b486b2e5246843ad2121d2fbb24a88714137a",
    "0f9300119f3c": "0f9300119f3ce1ec095f247087f3a3bdfc99ea17",
    "644f9fc5bd0a": "644f9fc5bd0a10688470dc004d55d76098d99f56",
    "3c572f542f90": "3c572f542f9083fa4f0c20bd4446f5016f114cf7",
    "643062042831": "643062042831a397cf42804a7b6c1fde7e811109",
    "3836b1b1c376": "3836b1b1c376726c3cf3b8f849398d8da9ea7e6c",
    "0cd31d6ab1d7": "0cd31d6ab1d7fd9f75b64d57b896b36025e2da40",
    "021b8ca3f1a8": "021b8ca3f1a82ec4de189b3a83616caf2c27c482",
    "0505a753d39d": "0505a753d39d9b72844af259053c7252902460ee",
    "15d2fc0b193b": "15d2fc0b193b25aba66043141b5f7a9fd7bfe6a2",
}
# The commit each NVD record was copied at (from the originals' README).
NVD_RECORD_COMMIT = {
    "CVE-2011-2523": "644f9fc5bd0a",
    "CVE-2015-3306": "3c572f542f90",
    "CVE-2018-13379": "069b486b2e52",
    "CVE-2018-13382": "069b486b2e52",
    "CVE-2019-5591": "069b486b2e52",
    "CVE-2019-11510": "0f9300119f3c",
    "CVE-2020-2021": "0f9300119f3c",
    "CVE-2020-5548": "643062042831",
    "CVE-2020-12812": "069b486b2e52",
    "CVE-2021-20016": "0f9300119f3c",
    "CVE-2021-20843": "3836b1b1c376",
    "CVE-2021-26855": "0cd31d6ab1d7",
    "CVE-2022-40684": "069b486b2e52",
    "CVE-2022-42475": "069b486b2e52",
    "CVE-2023-3519": "069b486b2e52",
    "CVE-2023-4966": "069b486b2e52",
    "CVE-2023-27997": "069b486b2e52",
    "CVE-2023-46805": "0f9300119f3c",
    "CVE-2024-3400": "021b8ca3f1a8",
    "CVE-2024-6387": "0505a753d39d",
    "CVE-2024-21762": "069b486b2e52",
    "CVE-2024-22366": "15d2fc0b193b",
    "CVE-2024-23113": "069b486b2e52",
    "CVE-2024-40766": "0f9300119f3c",
    "CVE-2024-47575": "069b486b2e52",
    "CVE-2025-0282": "069b486b2e52",
}
KEV_REPO = "cisagov/kev-data"
KEV_COMMIT = "eacf03ec6637cc7be6d3d4ed50785493da5126a2"
JVN_REPO = "MyJVN/np"
JVN_COMMIT = "43d09e01982440dfa36fc0d49bdd03c200a80251"

# The JVN files the tests read (JvnFilesSource skips the rest of the folder anyway).
JVN_FILES = [
    ("hnd", "getVulnDetailInfo_hnd_JVNDB-2017-009608.xml", "examples/hnd/"),
    ("hnd", "getVulnDetailInfo_hnd_JVNDB-2018-009328.xml", "examples/hnd/"),
    ("hnd", "getVulnDetailInfo_hnd_JVNDB-2021-002774.xml", "examples/hnd/"),
    ("hnd", "getVulnDetailInfo_hnd_JVNDB-2022-000097.xml", "examples/hnd/"),
    ("hnd", "dataFeed_jvndb_detail_hnd.xml", "examples/hnd/"),
    ("hnd", "getVulnOverviewList_hnd.xml", "examples/hnd/"),
    ("oka", "getVulnDetailInfo_oka_JVNDB-2017-009608.json", "examples/oka/"),
    ("oka", "getVulnDetailInfo_oka_JVNDB-2018-009328.json", "examples/oka/"),
    ("oka", "getVulnDetailInfo_oka_JVNDB-2021-002774.json", "examples/oka/"),
    ("oka", "getVulnDetailInfo_oka_JVNDB-2022-000097.json", "examples/oka/"),
    ("malformed_upstream", "dataFeed_jvndb_rss_hnd.xml", "examples/hnd/"),
    ("malformed_upstream", "dataFeed_jvndb_detail_oka.json", "examples/oka/"),
]

OUR_NVD_TEXT = "{cve}: fact-only test fixture; the description is in the NVD record."
OUR_JVN_TITLE = "{vid}（試験用の事実のみのデータ。原文は JVN iPedia を参照）"

# ----------------------------------------------------------------------------- NVD
# Keys of an NVD CVE API 2.0 ``cve`` object that are facts; the rest are dropped, and
# ``descriptions`` becomes one line of ours. Key order follows the original.
_NVD_KEEP = {
    "id",
    "sourceIdentifier",
    "published",
    "lastModified",
    "vulnStatus",
    "cveTags",
    "cisaExploitAdd",
    "cisaActionDue",
    "metrics",
    "weaknesses",
    "configurations",
    "affected",
}


def reduce_nvd(record: dict[str, Any]) -> dict[str, Any]:
    """The facts of one NVD record, in the original key order."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "descriptions":
            out[key] = [{"lang": "en", "value": OUR_NVD_TEXT.format(cve=record["id"])}]
        elif key == "cisaVulnerabilityName":
            out[key] = f"{record['id']} (KEV)"
        elif key in _NVD_KEEP:
            out[key] = value
    return out


def nvd_text(record: dict[str, Any]) -> str:
    """The repository's own layout: 2-space JSON, ASCII escapes, one final newline."""
    return json.dumps(reduce_nvd(record), indent=2) + "\n"


# ----------------------------------------------------------------------------- KEV
_KEV_FIELDS = [
    "cveID",
    "vendorProject",
    "product",
    "vulnerabilityName",
    "dateAdded",
    "shortDescription",
    "requiredAction",
    "dueDate",
    "knownRansomwareCampaignUse",
    "notes",
    "cwes",
]
_KEV_PROSE = {"shortDescription", "requiredAction", "notes"}


def reduce_kev_item(item: dict[str, Any]) -> dict[str, Any]:
    """A KEV entry with its facts; CISA's sentences emptied, the name made from facts."""
    out: dict[str, Any] = {}
    for key in _KEV_FIELDS:
        if key not in item:
            continue
        if key in _KEV_PROSE:
            out[key] = ""
        elif key == "vulnerabilityName":
            out[key] = f"{item['vendorProject']} {item['product']} ({item['cveID']})"
        else:
            out[key] = item[key]
    return out


def kev_json_text(catalogue: dict[str, Any]) -> str:
    """The catalogue header as is, then one entry per line (small and diffable)."""
    head = {k: v for k, v in catalogue.items() if k != "vulnerabilities"}
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    lines.append('  "vulnerabilities": [')
    items = [reduce_kev_item(i) for i in catalogue["vulnerabilities"]]
    body = [json.dumps(i, ensure_ascii=False) for i in items]
    lines += [f"    {b}," for b in body[:-1]] + [f"    {b}" for b in body[-1:]]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def kev_csv_text(text: str) -> str:
    """The CSV with the same reduction, the header as published."""
    reader = csv.DictReader(io.StringIO(text))
    fields = list(reader.fieldnames or [])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in reader:
        reduced = reduce_kev_item(row)
        writer.writerow({f: reduced.get(f, "") for f in fields})
    return out.getvalue()


# ----------------------------------------------------------------------------- JVN XML
_ID = re.compile(r"(JVNDB-\d{4}-\d+|CVE-\d{4}-\d+|JVN#?\d+|JVNVU#?\d+|JVNTA#?\d+|CWE-\d+)")
# Element text that is a fact, by local name (and, for Name, the parent).
_XML_FACT_TEXT = {
    "ProductName",
    "Cpe",
    "VersionNumber",
    "Base",
    "Vector",
    "Severity",
    "DateFirstPublished",
    "DateLastUpdated",
    "DatePublic",
    "DateTime",
    "HistoryNo",
    "URL",
    "identifier",
    "link",
    "date",
    "issued",
    "modified",
    "published",
    "updated",
    "id",
    "cpe",
    "references",
    "uri",
}
_XML_DROP_ATTRS = {"title"}  # sec:references/@title is the reference's own wording
_MALFORMED_XML = ("retCd= 0", 'retCd="KENSHIN-FIXTURE-UNQUOTED-0"')
_MALFORMED_JSON = ('"retMax": ,', '"retMax": "KENSHIN-FIXTURE-NO-VALUE",')


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespaces(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for _event, pair in SafeET.iterparse(io.StringIO(text), events=("start-ns",)):
        prefix, uri = pair  # type: ignore[misc]
        if (prefix, uri) not in found:
            found.append((prefix, uri))
    return found


def _reduce_element(element: ET.Element, parent: ET.Element | None, vid: str) -> None:
    name = _local(element.tag)
    parent_name = _local(parent.tag) if parent is not None else ""
    text = (element.text or "").strip()
    if text:
        if name in _XML_FACT_TEXT or (name == "Name" and parent_name == "AffectedItem"):
            pass
        elif name == "VulinfoID":
            match = _ID.fullmatch(text)
            element.text = text if match else ""
        elif name in ("Title", "title") and parent_name in ("VulinfoData", "item", "entry"):
            element.text = OUR_JVN_TITLE.format(vid=vid or "JVN")
        else:
            element.text = ""
    for attr in [a for a in element.attrib if _local(a) in _XML_DROP_ATTRS]:
        del element.attrib[attr]
    for child in list(element):
        child_vid = vid
        if _local(child.tag) in ("Vulinfo", "item", "entry"):
            ident = next(
                (
                    (c.text or "").strip()
                    for c in child
                    if _local(c.tag) in ("VulinfoID", "identifier", "id")
                ),
                "",
            )
            child_vid = ident or vid
        _reduce_element(child, element, child_vid)


def reduce_jvn_xml(text: str) -> str:
    """A VULDEF / RSS document with facts kept; an unquoted ``retCd`` stays unquoted."""
    broken = _MALFORMED_XML[0] in text
    if broken:
        text = text.replace(_MALFORMED_XML[0], _MALFORMED_XML[1])
    namespaces = _namespaces(text)
    for prefix, uri in sorted(namespaces, key=lambda p: (p[0] == "", p[0])):
        ET.register_namespace(prefix, uri)
    root = SafeET.fromstring(text)
    _reduce_element(root, None, "")
    ET.indent(root, space="  ")
    out = ET.tostring(root, encoding="unicode")
    out = '<?xml version="1.0" encoding="UTF-8"?>\n' + out + "\n"
    if broken:
        out = out.replace(_MALFORMED_XML[1], _MALFORMED_XML[0])
    return out


# ----------------------------------------------------------------------------- JVN JSON
_JSON_PROSE = {"text", "summary", "details", "source", "title"}


def _reduce_json(value: Any, key: str, vid: str) -> Any:
    if isinstance(value, dict):
        return {k: _reduce_json(v, k, vid) for k, v in value.items()}
    if isinstance(value, list):
        return [_reduce_json(v, key, vid) for v in value]
    if isinstance(value, str) and key in _JSON_PROSE and not _ID.fullmatch(value):
        return OUR_JVN_TITLE.format(vid=vid) if key == "title" else ""
    return value


def reduce_jvn_json(text: str) -> str:
    """A MyJVN 4.0 document with prose emptied; a value left out upstream stays out."""
    broken = _MALFORMED_JSON[0] in text
    if broken:
        text = text.replace(_MALFORMED_JSON[0], _MALFORMED_JSON[1])
    data = json.loads(text)
    document = data.get("document", {}) if isinstance(data, dict) else {}
    vid = str(document.get("tracking", {}).get("id", "")) or "JVN"
    out = json.dumps(_reduce_json(data, "", vid), ensure_ascii=False, indent=1) + "\n"
    if broken:
        out = out.replace(_MALFORMED_JSON[1].rstrip(","), _MALFORMED_JSON[0].rstrip(","))
    return out


# ----------------------------------------------------------------------------- driver
def _readme(rows: list[tuple[str, str, str, str]]) -> str:
    lines = [
        "# Public records as facts, for the tests",
        "",
        "Made by `scripts/make-public-fixtures.py` from the original public records; do not",
        "edit by hand. Facts only: CVE and JVNDB ids, CPE configurations and version bounds,",
        "CVSS vectors and scores, weaknesses, KEV fields (dates, vendor/product, ransomware",
        "use, CWEs), JVN affected products and version texts, dates and URLs. Free text written",
        "by others (descriptions, titles, advice, notes) is left out or replaced by a short",
        "line of ours. The quirks the tests exist for are kept: CVE-2024-3400 has no",
        "`configurations`; Ivanti/Exchange enumerate releases in the CPE update field;",
        "`jvn/malformed_upstream/` keeps the unquoted `retCd= 0` attribute and the",
        '`"retMax": ,` with no value, as published.',
        "",
        "To refresh: put newer originals in the same layout as the first ones (`nvd/`, `kev/`,",
        "`jvn/hnd|oka|malformed_upstream/`), update the commits at the top of the script, then",
        "",
        "    python scripts/make-public-fixtures.py /path/to/originals",
        "",
        "Running it twice gives byte-identical files. The script's reductions are also run on",
        "these fixtures by `tests/unit/vulndb/test_public_fixtures.py` (a fact-only file",
        "reduces to itself).",
        "",
        f"Originals retrieved {RETRIEVED}.",
        "",
        "| file | source repository | path | commit |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| `{a}` | `{b}` | `{c}` | `{d}` |" for a, b, c, d in rows]
    return "\n".join(lines) + "\n"


def make(originals: Path, out: Path) -> list[Path]:
    """Write every fixture and the README; the paths written."""
    written: list[Path] = []
    rows: list[tuple[str, str, str, str]] = []

    def write(relative: str, text: str, source: tuple[str, str, str]) -> None:
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
        rows.append((relative, *source))

    for cve, short in sorted(NVD_RECORD_COMMIT.items()):
        record = json.loads((originals / "nvd" / f"{cve}.json").read_text("utf-8"))
        year = cve.split("-")[1]
        bucket = cve[:-2] + "xx"
        upstream = f"CVE-{year}/{bucket}/{cve}.json"
        write(f"nvd/{cve}.json", nvd_text(record), (NVD_REPO, upstream, NVD_COMMITS[short]))
    kev = originals / "kev"
    catalogue = json.loads((kev / "known_exploited_vulnerabilities.json").read_text("utf-8"))
    write(
        "kev/known_exploited_vulnerabilities.json",
        kev_json_text(catalogue),
        (KEV_REPO, "known_exploited_vulnerabilities.json", KEV_COMMIT),
    )
    write(
        "kev/known_exploited_vulnerabilities.csv",
        kev_csv_text((kev / "known_exploited_vulnerabilities.csv").read_text("utf-8")),
        (KEV_REPO, "known_exploited_vulnerabilities.csv", KEV_COMMIT),
    )
    reducers: dict[str, Callable[[str], str]] = {".xml": reduce_jvn_xml, ".json": reduce_jvn_json}
    for folder, name, upstream in JVN_FILES:
        text = (originals / "jvn" / folder / name).read_text("utf-8")
        reduced = reducers[Path(name).suffix](text)
        write(f"jvn/{folder}/{name}", reduced, (JVN_REPO, upstream + name, JVN_COMMIT))
    readme = out / "README.md"
    readme.write_text(_readme(rows), "utf-8")
    written.append(readme)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("originals", type=Path, help="folder with nvd/, kev/ and jvn/")
    default_out = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "public"
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args(argv)
    if not (args.originals / "nvd").is_dir():
        parser.error(f"{args.originals} has no nvd/ folder: not the originals")
    for path in make(args.originals, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
