"""Where kenshin keeps things: the database URL and the data directory."""

from __future__ import annotations

import os
from pathlib import Path

DB_URL_ENV = "KENSHIN_DB_URL"
DATA_DIR_ENV = "KENSHIN_DATA_DIR"


def data_dir() -> Path:
    """The user's kenshin data directory (``KENSHIN_DATA_DIR`` overrides it)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir  # here: megabytes a scanning process may not need

    return Path(user_data_dir("kenshin", appauthor=False))


def database_url(explicit: str | None = None) -> str:
    """An explicit URL, else ``KENSHIN_DB_URL``, else a SQLite file in the data directory."""
    if explicit:
        return explicit
    env = os.environ.get(DB_URL_ENV)
    if env:
        return env
    return f"sqlite:///{data_dir() / 'kenshin.sqlite3'}"
