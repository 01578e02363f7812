"""`kenshin terminal collector|import|show` as a surveyor uses them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from terminal_helpers import FIXTURES

from kenshin.terminals import collector_script

pytestmark = pytest.mark.usefixtures("isolated_env")

DEMO_TERMINALS = (
    Path(__file__).resolve().parents[3] / "src" / "kenshin" / "data" / "demo" / "terminals"
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "kenshin", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_collector_is_written_for_windows_powershell(tmp_path: Path) -> None:
    target = tmp_path / "kenshin-collect.ps1"
    result = run("terminal", "collector", "-o", str(target))
    assert result.returncode == 0, result.stderr
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # PowerShell 5.1 reads BOM-less files as CP932
    assert b"\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert data[3:].decode("utf-8").replace("\r\n", "\n") == collector_script().replace(
        "\r\n", "\n"
    )
    assert "kenshin-collect.ps1" in result.stdout


def test_import_and_show_the_demo_terminals() -> None:
    assert run("demo", "--summary-only").returncode == 0
    files = sorted(str(p) for p in DEMO_TERMINALS.glob("*.json"))
    result = run("terminal", "import", "demo-2026", *files)
    assert result.returncode == 0, result.stderr
    assert "T-03（RAD-PACS-01）を取り込みました" in result.stdout
    shown = run("terminal", "show", "demo-2026")
    assert shown.returncode == 0, shown.stderr
    for expected in (
        "EHR-GAIRAI-01",
        "USB ストレージの閉塞",
        "要対応",  # the words the web page and the report use for a bad verdict
        "良好",
        "Windows 7 SP1 は 2020-01-14 にサポートが終了し",
    ):
        assert expected in shown.stdout, expected
    data = json.loads(run("terminal", "show", "demo-2026", "--json").stdout)
    assert [a["terminal_key"] for a in data] == ["T-01", "T-02", "T-03", "T-04", "T-05"]
    pacs = data[2]
    usb = next(v for v in pacs["verdicts"] if v["check_id"] == "terminal.usb.mass_storage")
    assert usb["status"] == "bad"
    assert pacs["worst"] == "bad"
    english = run("--lang", "en", "terminal", "show", "demo-2026")
    assert "USB storage is not blocked" in english.stdout


def test_show_before_any_import_says_how() -> None:
    assert run("demo", "--summary-only").returncode == 0
    result = run("terminal", "show", "demo-2026")
    assert result.returncode == 0
    assert "kenshin terminal import demo-2026" in result.stdout


def test_bad_files_are_one_sentence_each(tmp_path: Path) -> None:
    assert run("demo", "--summary-only").returncode == 0
    photo = tmp_path / "EHR-GAIRAI-01.json"
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(500))
    result = run("terminal", "import", "demo-2026", str(photo))
    assert result.returncode != 0
    assert "JPEG" in result.stderr
    assert "Traceback" not in result.stderr
    junk = tmp_path / "junk.json"
    with junk.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # 50 MB (sparse): refused by size, never read
    result = run("terminal", "import", "demo-2026", str(junk))
    assert result.returncode != 0
    assert "大きすぎます" in result.stderr
    stranger = run("terminal", "import", "demo-2026", str(FIXTURES / "win7-ehr.json"))
    assert stranger.returncode != 0
    assert "EHR-W7-OLD" in stranger.stderr
    assert "kenshin terminal add" in stranger.stderr
    assert "kenshin terminal import demo-2026" in run("terminal", "show", "demo-2026").stdout


def test_sixth_terminal_message_says_how_to_change_the_limit(tmp_path: Path) -> None:
    assert run("demo", "--summary-only").returncode == 0
    result = run("terminal", "import", "demo-2026", "--add", str(FIXTURES / "win7-ehr.json"))
    assert result.returncode != 0
    assert "terminal_limit" in result.stderr
    assert "5" in result.stderr
    added = run("terminal", "add", "demo-2026", "T-06", "--hostname", "EHR-W7-OLD", "--role", "ehr")
    assert added.returncode != 0
    assert "terminal_limit" in added.stderr
    # Following the message: export, raise terminal_limit, import, and the sixth goes in.
    exported = tmp_path / "demo.yaml"
    assert run("engagement", "export", "demo-2026", "-o", str(exported)).returncode == 0
    text = exported.read_text(encoding="utf-8").replace("terminal_limit: 5", "terminal_limit: 6")
    exported.write_text(text, encoding="utf-8")
    assert run("engagement", "import", str(exported)).returncode == 0
    result = run("terminal", "import", "demo-2026", "--add", str(FIXTURES / "win7-ehr.json"))
    assert result.returncode == 0, result.stderr
    assert "T-06" in result.stdout
