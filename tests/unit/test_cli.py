"""The command line as a surveyor uses it: output, JSON, and one-sentence errors."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kenshin.cli.demo import demo_file

pytestmark = pytest.mark.usefixtures("isolated_env")


def run(*args: str, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point, as a user would."""
    env = dict(os.environ, COLUMNS="200")
    if db is not None:
        env["KENSHIN_DB_URL"] = f"sqlite:///{db}"
    return subprocess.run(
        [sys.executable, "-m", "kenshin", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_demo_loads_and_summarises(isolated_env: Path) -> None:
    result = run("demo", "--summary-only")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        "デモ総合病院",
        "CP-01",
        "閉域網",
        "対象外（閉域網）",
        "対象外:",
        "動的IP",
        "取得できず",
        "EHR-GAIRAI-01",
        "架空メディカルシステムズ株式会社",
    ):
        assert expected in out, expected
    again = run("demo", "--summary-only")
    assert "更新しました" in again.stdout


def test_english_summary() -> None:
    result = run("--lang", "en", "demo", "--summary-only")
    assert result.returncode == 0, result.stderr
    assert "Demo General Hospital" in result.stdout
    assert "excluded (closed network)" in result.stdout


def test_list_and_show_json() -> None:
    run("demo", "--summary-only")
    listed = json.loads(run("engagement", "list", "--json").stdout)
    assert listed[0]["code"] == "demo-2026"
    assert listed[0]["points"] == 4
    shown = json.loads(run("engagement", "show", "demo-2026", "--json").stdout)
    statuses = {d["point"]: d["status"] for d in shown["remote_diagnosis"]}
    assert statuses == {
        "CP-01": "target",
        "CP-02": "dynamic",
        "CP-03": "closed",
        "CP-04": "out_of_scope",
    }


def test_bad_import_is_one_sentence_and_changes_nothing(tmp_path: Path) -> None:
    run("demo", "--summary-only")
    before = run("engagement", "export", "demo-2026").stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        demo_file()
        .read_text(encoding="utf-8")
        .replace("198.18.10.10", "198.18.10.300")
        .replace("title: デモ", "title: 変更"),
        encoding="utf-8",
    )
    result = run("engagement", "import", str(broken))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "198.18.10.300" in result.stderr
    assert "何も保存しませんでした" in result.stderr
    assert run("engagement", "export", "demo-2026").stdout == before


def test_export_import_round_trip(tmp_path: Path) -> None:
    run("demo", "--summary-only")
    exported = tmp_path / "out.yaml"
    assert run("engagement", "export", "demo-2026", "-o", str(exported)).returncode == 0
    assert run("engagement", "export", "demo-2026", "-o", str(exported)).returncode == 2
    other = tmp_path / "other.sqlite3"
    imported = run("engagement", "import", str(exported), db=other)
    assert imported.returncode == 0, imported.stderr
    assert run("engagement", "export", "demo-2026", db=other).stdout == exported.read_text(
        encoding="utf-8"
    )


def test_add_and_edit_items() -> None:
    assert (
        run(
            "engagement",
            "create",
            "clinic-1",
            "--title",
            "見本クリニック健診",
            "--institution",
            "見本クリニック",
        ).returncode
        == 0
    )
    assert (
        run("engagement", "create", "clinic-1", "--title", "x", "--institution", "y").returncode
        == 2
    )
    assert run("vendor", "add", "clinic-1", "V-1", "--company", "見本商事").returncode == 0
    added = run(
        "point",
        "add",
        "clinic-1",
        "CP-01",
        "--name",
        "光回線",
        "--kind",
        "internet",
        "--holder",
        "vendor:V-1",
        "--address",
        "203.0.113.5:fixed",
    )
    assert added.returncode == 0, added.stderr
    bad = run(
        "point",
        "add",
        "clinic-1",
        "CP-02",
        "--name",
        "x",
        "--kind",
        "internet",
        "--address",
        "not-an-ip",
    )
    assert bad.returncode == 2
    assert "not-an-ip" in bad.stderr
    dup = run("point", "add", "clinic-1", "CP-01", "--name", "x", "--kind", "internet")
    assert dup.returncode == 2
    assert (
        run(
            "device",
            "add",
            "clinic-1",
            "DEV-1",
            "--name",
            "UTM",
            "--role",
            "utm",
            "--point",
            "CP-01",
            "--source",
            "not_obtained",
        ).returncode
        == 2
    )
    assert (
        run(
            "device",
            "add",
            "clinic-1",
            "DEV-1",
            "--name",
            "UTM",
            "--role",
            "utm",
            "--point",
            "CP-01",
            "--firmware",
            "v7.2.8",
            "--source",
            "vendor",
        ).returncode
        == 0
    )
    assert run("point", "edit", "clinic-1", "CP-01", "--carrier", "見本光").returncode == 0
    shown = json.loads(run("engagement", "show", "clinic-1", "--json").stdout)
    assert shown["connection_points"][0]["carrier"] == "見本光"
    assert shown["connection_points"][0]["addresses"][0]["assignment"] == "fixed"
    assert shown["devices"][0]["connection_points"] == ["CP-01"]
    for i in range(5):
        assert (
            run(
                "terminal", "add", "clinic-1", f"T-{i}", "--hostname", f"PC-{i}", "--role", "ehr"
            ).returncode
            == 0
        )
    sixth = run("terminal", "add", "clinic-1", "T-5", "--hostname", "PC-5", "--role", "ehr")
    assert sixth.returncode == 2
    assert "terminal_limit" in sixth.stderr


def test_an_empty_choice_is_refused_by_edit_as_by_add() -> None:
    """``edit --role ""`` used to say "saved" and keep the old role, while ``add`` refused
    the same empty value: both now refuse it and store nothing."""
    assert (
        run("engagement", "create", "clinic-2", "--title", "t", "--institution", "i").returncode
        == 0
    )
    assert (
        run("terminal", "add", "clinic-2", "T-1", "--hostname", "PC-1", "--role", "ehr").returncode
        == 0
    )
    for args in (
        ("terminal", "add", "clinic-2", "T-2", "--hostname", "PC-2", "--role", ""),
        ("terminal", "edit", "clinic-2", "T-1", "--role", ""),
    ):
        refused = run("--lang", "en", *args)
        assert refused.returncode == 2
        assert "'' is not allowed" in refused.stderr
    shown = json.loads(run("engagement", "show", "clinic-2", "--json").stdout)
    assert [(t["key"], t["role"]) for t in shown["terminals"]] == [("T-1", "ehr")]


def test_read_only_database_is_refused_clearly(tmp_path: Path) -> None:
    db = tmp_path / "ro.sqlite3"
    assert run("demo", "--summary-only", db=db).returncode == 0
    db.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        if os.access(db, os.W_OK):
            pytest.skip("running as root: file permissions do not stop root")
        result = run("point", "edit", "demo-2026", "CP-01", "--carrier", "x", db=db)
    finally:
        tmp_path.chmod(0o755)
    assert result.returncode == 2
    assert "読み取り専用" in result.stderr


def test_read_only_database_as_root(tmp_path: Path) -> None:
    """Root ignores file modes, so open the database read-only through SQLite's URI."""
    db = tmp_path / "ro.sqlite3"
    assert run("demo", "--summary-only", db=db).returncode == 0
    env = dict(os.environ, KENSHIN_DB_URL=f"sqlite:///file:{db}?mode=ro&uri=true")
    result = subprocess.run(
        [sys.executable, "-m", "kenshin", "point", "edit", "demo-2026", "CP-01", "--carrier", "x"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "読み取り専用" in result.stderr
    assert "Traceback" not in result.stderr


def test_corrupt_database_is_refused_clearly(tmp_path: Path) -> None:
    db = tmp_path / "corrupt.sqlite3"
    db.write_bytes(b"this is not a database at all" * 100)
    result = run("engagement", "list", db=db)
    assert result.returncode == 2
    assert "壊れている" in result.stderr
    assert "Traceback" not in result.stderr
    damaged = tmp_path / "damaged.sqlite3"
    assert run("demo", "--summary-only", db=damaged).returncode == 0
    data = bytearray(damaged.read_bytes())
    data[100:4096] = b"\x00" * (4096 - 100)
    damaged.write_bytes(bytes(data))
    result = run("engagement", "list", db=damaged)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(damaged).execute("select * from engagements").fetchall()


def test_unknown_engagement_and_debug_flag() -> None:
    result = run("engagement", "show", "nope")
    assert result.returncode == 2
    assert "nope" in result.stderr
    assert "Traceback" not in result.stderr
    debug = run("--debug", "engagement", "show", "nope")
    assert "Traceback" in debug.stderr
