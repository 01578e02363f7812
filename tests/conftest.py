"""Shared fixtures: stores on SQLite and on a real PostgreSQL server; xdist's groups.

`make test` runs the suite in parallel (pytest-xdist, ``--dist loadgroup``). Each worker
gets its own ``test`` lab (a slot of its own) and each PostgreSQL test its own database;
what the whole machine shares is kept in one worker, one test after another, by
``XDIST_GROUPS`` below:

- ``own-labs``: tests that start labs themselves — the demo lab (one per machine, under
  one lock), ``kenshin lab up/down`` and the lifecycle tests, whose stale-lab clean-ups
  (``cleanup_stale``, run by every ``Lab.start`` too) must not race each other;
- ``celery``: the worker fleets, which share one broker's queues;
- ``browser``: the Playwright tests, around one web server per module.

The groups are a table, not ``xdist_group`` marks: pytest-xdist 3.8 adds a mark's group to
the test's node id through an attribute that pytest 9.2 no longer reads, so the marks
are silently ignored there; a mark is refused below rather than trusted.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kenshin.cli.demo import demo_file
from kenshin.domain import Engagement
from kenshin.intake import read_file

# The test lab's `lab` fixture (tests/lab/conftest.py), for every test that asks for it.
# "lab.conftest" resolves because pytest puts tests/ on sys.path for this rootless
# conftest; keep tests/ and tests/lab/ without __init__.py or this import changes name.
pytest_plugins = ["lab.conftest"]

PG_ENV = "KENSHIN_TEST_PG_URL"

XDIST_GROUPS: dict[str, str] = {
    "tests/lab/test_lifecycle.py": "own-labs",
    "tests/lab/test_cli_lab.py": "own-labs",
    "tests/lab/test_profiles_running.py": "own-labs",
    "tests/lab/test_demo_end_to_end.py": "own-labs",
    "tests/lab/test_devices_lab.py": "own-labs",
    "tests/unit/test_vault.py::test_the_secret_leaks_nowhere_through_the_command_line": "own-labs",
    "tests/jobs/test_distributed.py": "celery",
    "tests/web/test_web_browser.py": "browser",
    "tests/web/test_web_inventory_browser.py": "browser",
    "tests/web/test_web_usability_browser.py": "browser",
}
"""Node-id prefix (a file, or one test) → the xdist group that runs it."""


def xdist_group(nodeid: str) -> str | None:
    return next((g for prefix, g in XDIST_GROUPS.items() if nodeid.startswith(prefix)), None)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``--dist loadgroup`` with the groups of ``XDIST_GROUPS``."""
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class TableGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid) or super()._split_scope(nodeid)

    return TableGroupScheduling(config, log)  # type: ignore[arg-type]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    marked = [item.nodeid for item in items if item.get_closest_marker("xdist_group")]
    if marked:
        raise pytest.UsageError(
            f"xdist_group marks are ignored on this pytest; add to XDIST_GROUPS: {marked[:3]}"
        )


# -- what did not run, and what a run left behind ------------------------------------------
# Tests skip only for an optional external thing (a server, a Debian tool, root); with CI
# set they fail instead. The summary counts them in one line, so a skip is never silent.
# Data the tests need is in the repository: its absence is a failure, not a skip.

_TREE_KEY = pytest.StashKey[list[str] | None]()


def _git_status(root: Path) -> list[str] | None:
    """``git status --porcelain`` lines of the checkout ``root`` is in (None: not in one)."""
    try:
        inside = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return status.stdout.splitlines()


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")  # an xdist worker has ``workerinput``


def pytest_sessionstart(session: pytest.Session) -> None:
    if _is_controller(session.config):
        session.config.stash[_TREE_KEY] = _git_status(session.config.rootpath)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when it changed the working tree (tests write only to tmp folders)."""
    config = session.config
    before = config.stash.get(_TREE_KEY, None)
    if not _is_controller(config) or before is None:
        return
    after = _git_status(config.rootpath) or []
    changed = sorted(set(after) ^ set(before))
    if changed:
        config.stash[_CHANGED_KEY] = changed
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_CHANGED_KEY = pytest.StashKey[list[str]]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    reasons: Counter[str] = Counter()
    for report in skipped:
        longrepr = getattr(report, "longrepr", None)
        reason = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    total = sum(reasons.values())
    terminalreporter.write_line(
        f"kenshin: {total} test(s) did not run for want of an optional external thing"
        + (" (CI=1 makes each a failure)" if total else "")
        + "; 0 for missing data (the public records are in tests/fixtures/public)",
        yellow=bool(total),
        green=not total,
    )
    for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0])):
        terminalreporter.write_line(f"  {count:4d} × {reason}")
    changed = config.stash.get(_CHANGED_KEY, None)
    if changed:
        terminalreporter.write_line(
            "kenshin: this run changed the working tree (tests must write only to their "
            "tmp folders); git status --porcelain now differs in:",
            red=True,
            bold=True,
        )
        for line in changed:
            terminalreporter.write_line(f"  {line}", red=True)


def _postgres_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        reason = f"{PG_ENV} is not set: no PostgreSQL server to test against"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin_url = make_url(_postgres_admin_url()).set(drivername="postgresql+psycopg")
    name = f"kenshin_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is not there: say so
        admin.dispose()
        message = f"PostgreSQL at {admin_url.render_as_string()} is not usable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kenshin.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def demo_engagement() -> Engagement:
    return read_file(demo_file())


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point kenshin's data directory and database at a temporary folder."""
    monkeypatch.setenv("KENSHIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KENSHIN_DB_URL", raising=False)
    monkeypatch.delenv("KENSHIN_LANG", raising=False)
    return tmp_path
