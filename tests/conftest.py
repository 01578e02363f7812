"""Shared fixtures: stores on SQLite and on a real PostgreSQL server.

`make test` runs the suite in parallel (pytest-xdist, ``--dist loadgroup``). Each worker
gets its own ``test`` lab (a slot of its own) and each PostgreSQL test its own database;
what the whole machine shares is kept in one worker by an ``xdist_group`` mark:

- ``own-labs``: tests that start labs themselves — the demo lab (one per machine, under
  one lock), ``kenshin lab up/down`` and the lifecycle tests, whose stale-lab clean-ups
  (``cleanup_stale``, run by every ``Lab.start`` too) must not race each other;
- ``celery``: the worker fleets, which share one broker's queues;
- ``browser``: the Playwright tests, around one web server per module.
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
