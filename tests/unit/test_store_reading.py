"""The light read path: plain SQL over sqlite3, the baked-in schema head, and that
``engagement list/show`` start without SQLAlchemy."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from kenshin.domain import Engagement
from kenshin.store import EngagementRepository, StoreError, open_store
from kenshin.store.db import _alembic_config
from kenshin.store.reading import engagement, sqlite_fetch, summaries
from kenshin.store.schema import HEAD_REVISION


def test_baked_head_is_alembics_head() -> None:
    """A new migration must move HEAD_REVISION, or every start-up would migrate."""
    script = ScriptDirectory.from_config(_alembic_config("sqlite://"))
    assert script.get_current_head() == HEAD_REVISION


@pytest.fixture
def demo_db(tmp_path: Path, demo_engagement: Engagement) -> Path:
    path = tmp_path / "k.sqlite3"
    store = open_store(f"sqlite:///{path}")
    with store.session() as session:
        EngagementRepository(session).save(demo_engagement)
    store.dispose()
    return path


def test_sqlite_reads_equal_the_repositorys(demo_db: Path, demo_engagement: Engagement) -> None:
    store = open_store(f"sqlite:///{demo_db}")
    with store.session() as session:
        repository = EngagementRepository(session)
        through_session = repository.get("demo-2026"), repository.list()
    store.dispose()
    with sqlite_fetch(f"sqlite:///{demo_db}") as fetch:
        assert fetch is not None
        direct = engagement(fetch, "demo-2026"), summaries(fetch)
        assert engagement(fetch, "nope") is None
    assert direct == through_session
    assert direct[0] == demo_engagement
    assert [(s.code, s.points, s.devices, s.terminals) for s in direct[1]] == [
        ("demo-2026", 4, 5, 5)
    ]


def test_anything_but_a_current_sqlite_file_goes_through_the_store(
    demo_db: Path, tmp_path: Path
) -> None:
    """None means: open the store the usual way (create, migrate, or explain)."""
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database" * 100)
    for url in (
        f"sqlite:///{tmp_path / 'missing.sqlite3'}",
        f"sqlite:///{garbage}",
        f"sqlite:///file:{demo_db}?mode=ro&uri=true",
        "sqlite://",
        "postgresql://postgres@127.0.0.1/none",
    ):
        with sqlite_fetch(url) as fetch:
            assert fetch is None, url
    with sqlite3.connect(demo_db) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'workflow_0001'")
    with sqlite_fetch(f"sqlite:///{demo_db}") as fetch:
        assert fetch is None


def test_damage_past_the_schema_check_is_a_store_error(demo_db: Path) -> None:
    with sqlite3.connect(demo_db) as connection:
        connection.execute("DROP TABLE terminals")
    with sqlite_fetch(f"sqlite:///{demo_db}") as fetch:
        assert fetch is not None
        with pytest.raises(StoreError) as caught:
            engagement(fetch, "demo-2026")
    assert caught.value.key == "store.unavailable"


@pytest.mark.parametrize("command", [["list"], ["show", "demo-2026"]])
def test_list_and_show_start_without_sqlalchemy(demo_db: Path, command: list[str]) -> None:
    probe = (
        "import sys\n"
        "from kenshin.cli import main\n"
        f"sys.argv = ['kenshin', 'engagement', *{command!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'alembic') or m.startswith('kenshin.intake'))\n"
        "print('HEAVY', heavy)\n"
    )
    env = dict(os.environ, KENSHIN_DB_URL=f"sqlite:///{demo_db}", KENSHIN_LANG="ja")
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "デモ総合病院" in result.stdout
    assert "HEAVY []" in result.stdout
