"""``--json`` on the commands whose result a script reads: only JSON on stdout, the same
shape as their siblings' (``jobs scan --json`` -> ``{"id": ...}``, ``scan-runs --json``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kenshin.jobs import InProcessRunner, JobKind, JobSpec, JobState
from kenshin.store import open_store
from kenshin.store.schema import HEAD_REVISION

FIXTURES = Path(__file__).parents[1] / "fixtures" / "scan"

pytestmark = pytest.mark.usefixtures("isolated_env")


def run(tmp: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KENSHIN_DB_URL=f"sqlite:///{tmp / 'k.sqlite3'}", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "kenshin", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
    )


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # nothing but the document on stdout


def test_db_status(tmp_path: Path) -> None:
    status = as_json(run(tmp_path, "db", "status", "--json"))
    assert status["url"].endswith("k.sqlite3")
    assert status["current"] == status["head"] == HEAD_REVISION
    assert status["current_is_head"] is True


def test_import_nmap_names_the_run(tmp_path: Path) -> None:
    assert run(tmp_path, "demo", "--summary-only").returncode == 0
    imported = as_json(
        run(tmp_path, "import", "nmap", str(FIXTURES / "nmap-demo.xml"), "demo-2026", "--json")
    )
    runs = as_json(run(tmp_path, "scan-runs", "demo-2026", "--json"))
    assert imported["run"] == runs[0]["uid"]
    assert imported["code"] == "demo-2026"
    assert imported["hosts"] == 2
    assert 0 < imported["open"] <= imported["ports"]


def test_jobs_retry_prints_the_new_job(tmp_path: Path) -> None:
    # 'kenshin jobs scan' refuses an unknown engagement before queueing, so the failed job
    # is queued straight through the runner: a scan of an engagement that is not there
    assert run(tmp_path, "db", "status", "--json").returncode == 0  # creates the store
    store = open_store(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    try:
        runner = InProcessRunner(store)
        spec = JobSpec(JobKind.SCAN, "no-such-engagement", {}, "tester")
        failed_id = runner.submit(spec)
        assert runner.wait(failed_id, timeout=60).state is JobState.FAILED
    finally:
        store.dispose()
    retried = as_json(run(tmp_path, "jobs", "retry", failed_id, "--json"))
    assert retried["retry_of"] == failed_id
    listed = {job["id"] for job in as_json(run(tmp_path, "jobs", "list", "--json"))}
    assert retried["id"] in listed - {failed_id}


def test_user_invite_prints_the_link(tmp_path: Path) -> None:
    assert run(tmp_path, "demo", "--summary-only").returncode == 0
    created = run(
        tmp_path,
        "user",
        "create",
        "surveyor@example.com",
        "--role",
        "surveyor",
        "--password-stdin",
        stdin="a long enough passphrase 123\n",
    )
    assert created.returncode == 0, created.stderr
    invited = as_json(
        run(
            tmp_path,
            "user",
            "invite",
            "it@example.com",
            "--by",
            "surveyor@example.com",
            "--engagement",
            "demo-2026",
            "--base-url",
            "https://kenshin.example.org/",
            "--json",
        )
    )
    assert invited["email"] == "it@example.com"
    assert invited["role"] == "hospital"
    assert invited["link"].startswith("https://kenshin.example.org/invite/")
    assert len(invited["link"]) > len("https://kenshin.example.org/invite/") + 16
