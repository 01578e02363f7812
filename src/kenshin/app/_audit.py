"""Writing an audit event in the transaction of the change it describes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kenshin.domain import Engagement, refuse_closed
from kenshin.intake import to_document, validate_document
from kenshin.store import AuditLog, EngagementRepository


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


def edit_engagement(
    session: Session, code: str, change: Callable[[dict[str, Any]], None]
) -> tuple[Engagement, Engagement]:
    """Change the engagement's document through the one validation gate and save it
    (a closed engagement refuses: authorising, confirming an address)."""
    repository = EngagementRepository(session)
    before = repository.get(code)
    refuse_closed(before)
    document = to_document(before)
    change(document)
    after = validate_document(document)
    repository.save(after)
    return before, after
