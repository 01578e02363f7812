"""The engagement store: SQLAlchemy tables, Alembic migrations and repositories.

The names below are imported on first use (PEP 562), so that ``kenshin.store.reading`` and
``kenshin.store.schema`` — the command line's light read path — do not pull in SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kenshin.domain.clock import now_utc
    from kenshin.domain.findings import finding_fingerprint
    from kenshin.store.db import Store, open_store, rows_changed
    from kenshin.store.reading import EngagementSummary
    from kenshin.store.repository import AuditLog, EngagementRepository, FindingRepository
    from kenshin.store.schema import StoreError

_HOMES = {
    "AuditLog": "kenshin.store.repository",
    "EngagementRepository": "kenshin.store.repository",
    "EngagementSummary": "kenshin.store.reading",
    "FindingRepository": "kenshin.store.repository",
    "Store": "kenshin.store.db",
    "StoreError": "kenshin.store.schema",
    "finding_fingerprint": "kenshin.domain.findings",
    "now_utc": "kenshin.domain.clock",
    "open_store": "kenshin.store.db",
    "rows_changed": "kenshin.store.db",
}

__all__ = [
    "AuditLog",
    "EngagementRepository",
    "EngagementSummary",
    "FindingRepository",
    "Store",
    "StoreError",
    "finding_fingerprint",
    "now_utc",
    "open_store",
    "rows_changed",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'kenshin.store' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
