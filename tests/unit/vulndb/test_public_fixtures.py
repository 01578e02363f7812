"""The public-record fixtures are what scripts/make-public-fixtures.py makes: facts only.

The originals are not in the repository, so the script's reductions are run on the
fixtures themselves: a fact-only file must reduce to itself, byte for byte. (Refreshing
from the originals is checked by running the script twice; see the fixtures' README.)
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import PUBLIC_DATA, REPO_ROOT


def _script() -> ModuleType:
    path = REPO_ROOT / "scripts" / "make-public-fixtures.py"
    spec = importlib.util.spec_from_file_location("make_public_fixtures", path)
    assert spec is not None, path
    assert spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()
FILES = sorted(p for p in PUBLIC_DATA.rglob("*") if p.is_file() and p.name != "README.md")


def _reduce(path: Path, text: str) -> str:
    if path.parent.name == "nvd":
        return str(SCRIPT.nvd_text(json.loads(text)))
    if path.suffix == ".csv":
        return str(SCRIPT.kev_csv_text(text))
    if path.parent.name == "kev":
        return str(SCRIPT.kev_json_text(json.loads(text)))
    if path.suffix == ".xml":
        return str(SCRIPT.reduce_jvn_xml(text))
    return str(SCRIPT.reduce_jvn_json(text))


def test_every_fixture_is_listed_with_its_source() -> None:
    readme = (PUBLIC_DATA / "README.md").read_text("utf-8")
    assert len(FILES) == 40
    for path in FILES:
        relative = path.relative_to(PUBLIC_DATA).as_posix()
        row = next((line for line in readme.splitlines() if f"`{relative}`" in line), None)
        assert row is not None, relative
        assert row.count("|") == 5, row
        assert len(row.split("`")[-2]) == 40, row  # a full commit id


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(PUBLIC_DATA).as_posix())
def test_fixture_reduces_to_itself(path: Path) -> None:
    text = path.read_text("utf-8")
    assert _reduce(path, text) == text


def test_no_prose_of_others_is_left() -> None:
    for path in sorted((PUBLIC_DATA / "nvd").glob("*.json")):
        record = json.loads(path.read_text("utf-8"))
        assert record["descriptions"] == [
            {"lang": "en", "value": SCRIPT.OUR_NVD_TEXT.format(cve=record["id"])}
        ]
        assert "references" not in record
    catalogue = json.loads(
        (PUBLIC_DATA / "kev" / "known_exploited_vulnerabilities.json").read_text("utf-8")
    )
    for item in catalogue["vulnerabilities"]:
        assert item["shortDescription"] == item["requiredAction"] == item["notes"] == ""
        assert item["vulnerabilityName"].endswith(f"({item['cveID']})")


def test_the_reduction_drops_prose_and_keeps_facts() -> None:
    record = {
        "id": "CVE-2099-0001",
        "cisaExploitAdd": "2099-01-02",
        "descriptions": [{"lang": "en", "value": "Someone else's sentence."}],
        "references": [{"url": "https://example.org/advisory"}],
        "configurations": [{"nodes": []}],
    }
    reduced = SCRIPT.reduce_nvd(record)
    assert list(reduced) == ["id", "cisaExploitAdd", "descriptions", "configurations"]
    assert "Someone" not in json.dumps(reduced)
    xml = (
        '<?xml version="1.0"?><VULDEF-Document xmlns="http://jvn.jp/vuldef/"><Vulinfo>'
        "<VulinfoID>JVNDB-2099-000001</VulinfoID><VulinfoData><Title>他者の文</Title>"
        "<Affected><AffectedItem><Name>ベンダ</Name><Cpe>cpe:/o:acme:fw</Cpe>"
        "<VersionNumber>1.0 およびそれ以前</VersionNumber></AffectedItem></Affected>"
        "</VulinfoData></Vulinfo></VULDEF-Document>"
    )
    out = SCRIPT.reduce_jvn_xml(xml)
    assert "他者の文" not in out
    assert "JVNDB-2099-000001（" in out
    assert "<Name>ベンダ</Name>" in out
    assert "1.0 およびそれ以前" in out
    broken = SCRIPT.reduce_jvn_json('{"document": {"title": "x"}, "retMax": , "n": 1}')
    assert '"retMax": ,' in broken
