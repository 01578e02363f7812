"""SQLite URLs with ``uri=true``: the database part is an SQLite URI, passed to SQLite as one.

``sqlite:///file:/path/db?mode=ro&uri=true`` is how a read-only store is opened (root
ignores file modes). It once made a ``file:`` folder in the working directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from kenshin.domain import Engagement
from kenshin.store import EngagementRepository, StoreError, open_store
from kenshin.store.db import sqlite_file


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////abs/k.sqlite3", "/abs/k.sqlite3"),
        ("sqlite:///rel/k.sqlite3", "rel/k.sqlite3"),
        ("sqlite:///file:/abs/k.sqlite3?mode=ro&uri=true", "/abs/k.sqlite3"),
        ("sqlite:///file:///abs/k%20b.sqlite3?uri=true", "/abs/k b.sqlite3"),
        ("sqlite:///file:rel.sqlite3?mode=rwc&uri=true", "rel.sqlite3"),
        ("sqlite:///file:x?mode=memory&cache=shared&uri=true", None),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        # without uri=true SQLite takes the name as a file name, odd as it is
        ("sqlite:///file:odd.sqlite3", "file:odd.sqlite3"),
    ],
)
def test_the_file_an_sqlite_url_names(url: str, expected: str | None) -> None:
    found = sqlite_file(make_url(url))
    assert (str(found) if found is not None else None) == expected


def test_read_only_uri_reads_refuses_writes_and_writes_nothing_beside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_engagement: Engagement
) -> None:
    db = tmp_path / "store" / "k.sqlite3"
    writable = open_store(f"sqlite:///{db}")
    with writable.session() as session:
        EngagementRepository(session).save(demo_engagement)
    writable.dispose()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    before = db.read_bytes()
    store = open_store(f"sqlite:///file:{db}?mode=ro&uri=true")
    try:
        with store.session() as session:
            assert EngagementRepository(session).get(demo_engagement.code).code == "demo-2026"
        with pytest.raises(StoreError) as refused, store.session() as session:
            EngagementRepository(session).save(demo_engagement)
        assert "読み取り専用" in refused.value.message("ja")
    finally:
        store.dispose()
    assert list(cwd.iterdir()) == []  # no "file:" folder
    assert db.read_bytes() == before


def test_read_write_uri_creates_the_file_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///file:made/k.sqlite3?mode=rwc&uri=true")
    store.dispose()
    assert (tmp_path / "made" / "k.sqlite3").read_bytes().startswith(b"SQLite format 3\x00")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["made"]


def test_read_only_uri_to_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        open_store(f"sqlite:///file:{tmp_path / 'absent' / 'k.sqlite3'}?mode=ro&uri=true")
    assert not (tmp_path / "absent").exists()
