"""Options every command shares (database, language, debug), set by the root callback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console

from kenshin.config import database_url
from kenshin.i18n import Lang, resolve_lang, translate

if TYPE_CHECKING:  # the store (SQLAlchemy, Alembic) is imported when first opened
    from kenshin.scan.engine import ScanPipeline
    from kenshin.store import Store
    from kenshin.store.reading import Fetch


@dataclass
class CliState:
    db_url: str | None = None
    lang: Lang = "ja"
    debug: bool = False
    pipeline: ScanPipeline | None = None
    """What this process's scans run: the console script composes it (``kenshin.pipeline``)."""
    _store: Store | None = None

    def store(self) -> Store:
        """The engagement store, opened (and migrated) on first use."""
        if self._store is None:
            from kenshin.store import open_store

            self._store = open_store(database_url(self.db_url))
        return self._store

    def scan_pipeline(self) -> ScanPipeline:
        """The composed pipeline, or a bare port scan when none was composed."""
        from kenshin.scan.engine import PORTS_ONLY

        return self.pipeline if self.pipeline is not None else PORTS_ONLY

    @contextmanager
    def reader(self) -> Iterator[Fetch]:
        """Plain-SQL reads of engagements (``kenshin.store.reading``): straight from an
        SQLite file at the current schema, so ``engagement list/show`` start without
        SQLAlchemy; else through the store, opened (and migrated) as for any command."""
        from kenshin.store.reading import sqlite_fetch

        if self._store is None:
            with sqlite_fetch(database_url(self.db_url)) as fetch:
                if fetch is not None:
                    yield fetch
                    return
        from kenshin.store.repository import session_fetch

        with self.store().session() as session:
            yield session_fetch(session)

    def t(self, message_key: str, **params: object) -> str:
        return translate(message_key, self.lang, **params)


STATE = CliState(lang=resolve_lang())
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

UNWRAPPED_WIDTH = 1000
"""The width given to output that goes to a pipe or a file: wide enough that no table
cell is folded, since nothing there reads it at a terminal's width."""


def configure_output() -> None:
    """Sentences and commands are never hard-wrapped (a terminal wraps them visually, and a
    copied command stays on one line); a terminal's tables use its width, a pipe's or a
    file's are as wide as their content."""
    for out in (console, err_console):
        out.soft_wrap = True
        if not out.is_terminal:
            out.width = UNWRAPPED_WIDTH
