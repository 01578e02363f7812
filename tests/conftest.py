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
import uuid
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
