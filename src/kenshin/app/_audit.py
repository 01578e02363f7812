"""Writing an audit event in the transaction of the change it describes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from kenshin.store import AuditLog


def record(
    session: Session,
    actor: str,
    action: str,
    code: str | None,
    *,
    targets: tuple[str, ...] = (),
    details: Mapping[str, str] | None = None,
    at: datetime | None = None,
) -> None:
    """One succeeded action by ``actor``; part of the caller's transaction."""
    AuditLog(session).note(actor, action, code, targets=targets, details=details, at=at)
