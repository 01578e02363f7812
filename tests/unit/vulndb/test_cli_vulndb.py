"""``kenshin firmware`` and ``kenshin vulndb`` as a surveyor runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kenshin.cli.demo import demo_file

pytestmark = pytest.mark.usefixtures("isolated_env")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "kenshin", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        input=stdin,
    )


def test_firmware_check_fortios_7_0_11_json() -> None:
    result = run(
        "firmware",
        "check",
        "--vendor",
        "fortinet",
        "--product",
        "fortigate",
        "--version",
        "v7.0.11,build0489 (GA)",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "affected"
    assert data["normalised_version"] == "7.0.11"
    kev = {m["cve"] for m in data["matches"] if m["kev"]}
    assert {"CVE-2023-27997", "CVE-2024-21762"} <= kev
    # one update fixes them all: the highest fix on the 7.0 line (7.0.17 > 7.0.12 as versions)
    assert data["upgrades"] == [
        {"product": "FortiOS", "fixed": {"7.0": "7.0.17"}, "resolves": len(data["matches"])}
    ]


def test_firmware_check_text_japanese_then_english() -> None:
    ja = run(
        "firmware",
        "check",
        "--vendor",
        "YAMAHA",
        "--product",
        "RTX1210",
        "--version",
        "Rev.14.01.38",
    )
    assert "既知の脆弱性が 2 件" in ja.stdout
    assert "CVE-2021-20843" in ja.stdout
    assert "CVE-2021-20844" in ja.stdout
    assert "該当（確度" in ja.stdout  # the verdict in words, not the internal status
    assert "affected" not in ja.stdout
    # JVNVU#91161784 names the fixed release of each model: one update resolves both
    assert "14.01.40" in ja.stdout
    assert "修正版が分からない" not in ja.stdout
    en = run(
        "--lang",
        "en",
        "firmware",
        "check",
        "--vendor",
        "fortinet",
        "--product",
        "fortigate",
        "--version",
        "7.0.17",
    )
    assert "lists no known vulnerability" in en.stdout
    unknown = run(
        "--lang", "en", "firmware", "check", "--vendor", "Ivanti", "--product", "Connect Secure"
    )
    assert "Ask the vendor" in unknown.stdout


def test_firmware_check_engagement_stores_findings(isolated_env: Path) -> None:
    assert run("engagement", "import", str(demo_file())).returncode == 0
    result = run("firmware", "check", "demo-2026", "--device", "DEV-01", "--json")
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)
    assert {f["device"] for f in findings} == {"DEV-01"}
    assert any("CVE-2023-27997" in f["cves"] for f in findings)
    everything = run("firmware", "check", "demo-2026")
    assert everything.returncode == 0, everything.stderr
    assert "所見を保存しました" in everything.stdout
    missing = run("firmware", "check", "demo-2026", "--device", "NOPE")
    assert missing.returncode != 0


def test_firmware_parse(tmp_path: Path) -> None:
    sample = tmp_path / "show-version.txt"
    # layout of PAN-OS "show system info" (fictitious values)
    sample.write_text(
        "hostname: PA-HOSP\nmodel: PA-440\nsw-version: 10.2.9\npublic-ip-address: 198.51.100.77\n"
    )
    result = run("firmware", "parse", str(sample), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["version"] == "10.2.9"
    assert data["vendor"] == "Palo Alto Networks"
    garbage = run("firmware", "parse", "-", stdin="nothing useful here")
    assert garbage.returncode == 1
    assert "バージョンを見つけられませんでした" in garbage.stdout


def test_vulndb_update_from_files_and_status(isolated_env: Path, public_data: Path) -> None:
    before = run("vulndb", "status")
    assert "スナップショット" in before.stdout
    result = run("vulndb", "update", "--from-files", str(public_data))
    assert result.returncode == 0, result.stderr
    status = json.loads(run("vulndb", "status", "--json").stdout)
    assert status["cve_count"] == 26
    assert status["kev_count"] == 1404
    assert status["last_update"]["ok"] is True
    bad = run(
        "vulndb",
        "update",
        "--source",
        "jvn",
        "--from-files",
        str(public_data / "jvn" / "malformed_upstream"),
    )
    assert bad.returncode == 2
    assert "以前のデータベースをそのまま使用します" in bad.stderr
    after = json.loads(run("vulndb", "status", "--json").stdout)
    assert after["cve_count"] == 26
    assert after["last_update"]["ok"] is False
    assert "前回の更新" in run("vulndb", "status").stdout


def test_vulndb_match_json() -> None:
    result = run(
        "vulndb",
        "match",
        "--vendor",
        "OpenBSD",
        "--product",
        "OpenSSH",
        "--version",
        "OpenSSH_9.2p1 Debian-2+deb12u2",
        "--json",
    )
    assert [m["cve"] for m in json.loads(result.stdout)] == ["CVE-2024-6387"]
    fixed = run(
        "vulndb",
        "match",
        "--vendor",
        "OpenBSD",
        "--product",
        "OpenSSH",
        "--version",
        "OpenSSH_9.2p1 Debian-2+deb12u3",
        "--json",
    )
    assert json.loads(fixed.stdout) == []


def test_unknown_source_is_one_sentence() -> None:
    result = run("vulndb", "update", "--source", "osv")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
