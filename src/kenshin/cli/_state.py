"""Options every command shares (database, language, debug), set by the root callback."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

from kenshin.config import database_url
from kenshin.i18n import Lang, resolve_lang, translate
from kenshin.store import Store, open_store


@dataclass
class CliState:
    db_url: str | None = None
    lang: Lang = "ja"
    debug: bool = False
    _store: Store | None = None

    def store(self) -> Store:
        """The engagement store, opened (and migrated) on first use."""
        if self._store is None:
            self._store = open_store(database_url(self.db_url))
        return self._store

    def t(self, message_key: str, **params: object) -> str:
        return translate(message_key, self.lang, **params)


STATE = CliState(lang=resolve_lang())
console = Console()
err_console = Console(stderr=True)
