"""What the store is without SQLAlchemy: the schema revision this kenshin writes, and its
error. Both are read on the command line's light path (``store.reading``), which must not
import SQLAlchemy, Alembic or the ORM models."""

from __future__ import annotations

from kenshin.errors import KenshinError

HEAD_REVISION = "requests_0001"
"""The newest migration in ``store/migrations/versions``: a store at this revision needs no
upgrade, so opening it does not read the migration scripts. A new migration changes it
(tests/unit/test_store_reading.py compares it with Alembic's head)."""


class StoreError(KenshinError):
    """The engagement store cannot be opened, read or written."""
