"""A fresh clone, with nothing beside it, collects every test and has the data they read.

The clone is of the committed state (``git clone --no-local`` of this checkout into a
temporary folder); it runs with this interpreter and its own ``src`` first on the path.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _clone(tmp_path: Path) -> Path:
    inside = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--is-inside-work-tree"],
        capture_output=True,
        text=True,
        check=False,
    )
    if inside.stdout.strip() != "true":
        pytest.skip("not a git checkout: there is nothing to clone")
    clone = tmp_path / "kenshin"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-local", str(REPO_ROOT), str(clone)],
        check=True,
        timeout=120,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kenshin"]  # nothing beside it
    assert not (tmp_path.parent / "shared").exists()
    return clone


def _run(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KENSHIN_", "PYTEST_"))}
    env["PYTHONPATH"] = str(clone / "src")
    return subprocess.run(
        [sys.executable, *args],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_a_fresh_clone_collects_every_test_and_reads_its_own_data(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    where = _run(clone, "-c", "import kenshin; print(kenshin.__file__)")
    assert where.stdout.strip().startswith(str(clone / "src")), where.stdout + where.stderr
    collected = _run(clone, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider")
    output = collected.stdout + collected.stderr
    assert collected.returncode == 0, output[-4000:]
    assert not re.search(r"\d+ errors?\b", output), output[-4000:]
    assert "skipped" not in output.splitlines()[-1], output[-2000:]
    ids = [line for line in collected.stdout.splitlines() if "::" in line]
    data_tests = [i for i in ids if i.startswith("tests/unit/vulndb/test_nvd_records.py::")]
    assert len(data_tests) > 400, len(data_tests)
    for name in (
        "tests/unit/vulndb/test_sources.py::test_every_published_example_parses",
        "tests/unit/vulndb/test_knowledge_base.py::test_kev_json_and_csv_agree",
        "tests/unit/vulndb/test_cli_vulndb.py::test_vulndb_update_from_files_and_status",
    ):
        assert name in ids, name
    # a few of them run there too: the records they read are in the clone
    ran = _run(
        clone,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "tests/unit/vulndb/test_public_fixtures.py",
        "tests/unit/vulndb/test_sources.py::test_every_published_example_parses",
        "tests/unit/vulndb/test_knowledge_base.py::test_kev_json_and_csv_agree",
    )
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-4000:]
    assert " skipped" not in ran.stdout, ran.stdout[-2000:]
