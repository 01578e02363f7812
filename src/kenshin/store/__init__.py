"""The engagement store: SQLAlchemy tables, Alembic migrations and repositories."""

from kenshin.store.db import Store, StoreError, open_store
from kenshin.store.repository import (
    AuditLog,
    EngagementRepository,
    EngagementSummary,
    FindingRepository,
    finding_fingerprint,
    now_utc,
)

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
]
