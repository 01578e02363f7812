"""The engagement store: SQLAlchemy tables, Alembic migrations and repositories."""

from kenshin.domain.clock import now_utc
from kenshin.domain.findings import finding_fingerprint
from kenshin.store.db import Store, StoreError, open_store
from kenshin.store.repository import (
    AuditLog,
    EngagementRepository,
    EngagementSummary,
    FindingRepository,
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
