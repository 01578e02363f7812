"""Helpers shared by the survey-workflow commands (hearing, requests, targets, vault)."""

from __future__ import annotations

import getpass
import os

from sqlalchemy.orm import Session

from kenshin.domain import AuditEvent, AuditOutcome
from kenshin.store import AuditLog, now_utc

ACTOR_ENV = "KENSHIN_ACTOR"


def actor() -> str:
    """Who is running the command: ``KENSHIN_ACTOR``, else the login name."""
    explicit = os.environ.get(ACTOR_ENV)
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def audit(
    session: Session,
    action: str,
    code: str,
    *,
    targets: tuple[str, ...] = (),
    outcome: AuditOutcome = AuditOutcome.SUCCEEDED,
    who: str | None = None,
    details: dict[str, str] | None = None,
) -> None:
    """Record one audit event in the same transaction as the change it describes."""
    AuditLog(session).record(
        AuditEvent(
            actor=who or actor(),
            action=action,
            outcome=outcome,
            at=now_utc(),
            engagement_code=code,
            targets=targets,
            details=dict(details or {}),
        )
    )
