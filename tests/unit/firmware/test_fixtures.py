"""Every fixture of tests/fixtures/firmware read as `kenshin firmware parse` reads it.

The fixtures are device outputs in published formats (sources in the folder's README).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kenshin.firmware import parse_device_output

FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "firmware"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((FOLDER / "expected.yaml").read_text("utf-8"))


def test_every_fixture_is_expected_and_sourced() -> None:
    files = {p.name for p in FOLDER.glob("*.txt")}
    assert files == set(EXPECTED)
    readme = (FOLDER / "README.md").read_text("utf-8")
    for name in files:
        assert f"| {name} |" in readme


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(name: str) -> None:
    want = EXPECTED[name]
    parsed = parse_device_output((FOLDER / name).read_bytes().decode("utf-8"))
    assert parsed.found, parsed.message_en
    assert (parsed.vendor, parsed.model, parsed.version) == (
        want["vendor"],
        want["model"],
        str(want["version"]),
    )
    assert list(parsed.wan_addresses) == [str(a) for a in want["wan"]]
    assert parsed.kind == want.get("kind", "")
    assert parsed.version_line
    for wan in parsed.wan:
        assert wan.address in wan.line


def test_cli_parses_several_files_as_json() -> None:
    import json

    from typer.testing import CliRunner

    from kenshin.cli import app

    names = ["yamaha-show-status-pp.txt", "nec-ix-show-version-letter.txt"]
    result = CliRunner().invoke(
        app, ["firmware", "parse", *(str(FOLDER / n) for n in names), "--json"]
    )
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.output)
    assert first["file"].endswith(names[0])
    assert first["wan"] == [
        {
            "address": "203.0.113.45",
            "line": "PP IP Address Local: 203.0.113.45, Remote: 198.51.100.1",
            "rule": "yamaha.status_pp_local",
        }
    ]
    assert first["version_line"] == "RTX830 Rev.15.02.30 (Tue Oct 10 15:48:25 2023)"
    assert (second["vendor"], second["version"]) == ("NEC", "8.9.17B")
