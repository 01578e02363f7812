"""Opening the engagement store: engine, sessions, migrations, clear errors.

The first use of any command brings the schema up to date (``upgrade``), so a new
user never runs a separate set-up step. SQLite is the default; PostgreSQL works
through the same URL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, CursorResult, Result, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from kenshin.store.schema import HEAD_REVISION, StoreError

if TYPE_CHECKING:  # Alembic is imported only when a schema needs migrating
    from alembic.config import Config


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched.

    ``execute`` is typed as returning a ``Result``; for a DML statement it is a
    ``CursorResult``, which carries the count.
    """
    return cast("CursorResult[Any]", result).rowcount


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("kenshin.store") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def sqlite_file(url: URL) -> Path | None:
    """The file an SQLite URL names, or None for a database in memory.

    With ``uri=true`` the database part is an SQLite URI (``file:/path``, ``file:///path``,
    ``file:relative``; ``mode=`` and the other parameters are SQLite's), and SQLAlchemy
    hands it to SQLite as a URI: the file is the URI's path, never ``file:...`` taken as
    a folder name.
    """
    database = url.database or ""
    if database in ("", ":memory:"):
        return None
    if str(url.query.get("uri", "")).lower() not in ("true", "1", "yes", "on"):
        return Path(database)
    if url.query.get("mode") == "memory":
        return None
    parts = urlsplit(database)
    path = unquote(parts.path) if parts.scheme == "file" else database
    return Path(path) if path not in ("", ":memory:") else None


class Store:
    """A handle on one engagement database."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError("store.bad_url", url=url) from exc
        self._sqlite_path: Path | None = None
        self._sqlite_read_only = False
        if parsed.get_backend_name() == "sqlite":
            self._sqlite_path = sqlite_file(parsed)
            self._sqlite_read_only = parsed.query.get("mode") == "ro"
        if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.engine: Engine = create_engine(parsed, future=True)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _enable_sqlite_foreign_keys)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def display_url(self) -> str:
        """The URL without any password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def _check_sqlite_file(self) -> None:
        path = self._sqlite_path
        if path is None:
            return
        try:
            if not self._sqlite_read_only:  # a read-only database is never created
                path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError("store.cannot_create_dir", path=str(path.parent)) from exc
        if path.exists():
            with path.open("rb") as handle:
                header = handle.read(16)
            if header and header != b"SQLite format 3\x00":
                raise StoreError("store.corrupt", path=str(path))

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def _at_head(self) -> bool:
        """Whether the schema is this kenshin's newest (read without Alembic: the common
        case of every command start-up)."""
        with self.engine.connect() as connection:
            try:
                found = connection.execute(text("SELECT version_num FROM alembic_version"))
                return [row[0] for row in found] == [HEAD_REVISION]
            except (OperationalError, DatabaseError):
                connection.rollback()
                return False  # no such table yet (an empty store), or unreadable: see upgrade

    def head_revision(self) -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(_alembic_config(self.url)).get_current_head()

    def _knows(self, revision: str) -> bool:
        """Whether ``revision`` is one of this kenshin's migrations (else a newer one wrote it)."""
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(_alembic_config(self.url))
        return any(r.revision == revision for r in script.walk_revisions())

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (creating it from empty)."""
        self._check_sqlite_file()
        try:
            if self._at_head():
                return
            current = self.current_revision()
            if current is not None and not self._knows(current):
                raise StoreError("store.newer_schema", path=self.display_url(), revision=current)
            from alembic import command

            with self.engine.begin() as connection:
                config = _alembic_config(self.url)
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except DatabaseError as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: SQLAlchemyError) -> StoreError:
        text = str(exc).lower()
        if "readonly" in text or "read-only" in text or "read only" in text:
            return StoreError("store.readonly", path=self.display_url())
        if "not a database" in text or "malformed" in text:
            return StoreError("store.corrupt", path=self.display_url())
        if "file is not a database" in text or "file is encrypted" in text:
            return StoreError("store.corrupt", path=self.display_url())
        if "unable to open" in text:
            return StoreError("store.cannot_open", path=self.display_url())
        reason = str(getattr(exc, "orig", exc))
        return StoreError("store.unavailable", url=self.display_url(), reason=reason)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed if the block ends normally, rolled back otherwise."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except (OperationalError, DatabaseError) as exc:
            session.rollback()
            if isinstance(exc, IntegrityError):
                raise StoreError("store.constraint", detail=str(exc.orig).splitlines()[0]) from exc
            raise self._translate(exc) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str) -> Store:
    """Open the store at ``url`` and make sure its schema is current."""
    store = Store(url)
    store.upgrade()
    return store
