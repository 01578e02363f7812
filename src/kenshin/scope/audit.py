"""Audit events of every probe run: who started what, on which targets, how it ended.

The functions build :class:`AuditEvent` values and hand them to a sink (the store's
``AuditLog.record`` in the product, a list in tests), so the network rooms never
depend on the database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from kenshin.domain import AuditEvent, AuditOutcome

AuditSink = Callable[[AuditEvent], None]

SCAN_ACTION = "scan.port"


ACTOR_ENV = "KENSHIN_ACTOR"


def current_actor() -> str:
    """Who runs kenshin on this machine: ``KENSHIN_ACTOR``, else the operating-system user
    (the surveyor on the command line). Every audit record of the command line names it."""
    explicit = os.environ.get(ACTOR_ENV)
    if explicit:
        return explicit
    import getpass  # here: the audit trail is what a scanning process needs of it

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def event(
    actor: str,
    action: str,
    outcome: AuditOutcome,
    engagement_code: str | None,
    targets: Sequence[str],
    details: Mapping[str, object],
) -> AuditEvent:
    """One record; details are kept as text so every sink stores them alike."""
    return AuditEvent(
        actor=actor,
        action=action,
        outcome=outcome,
        at=datetime.now(UTC),
        engagement_code=engagement_code,
        targets=tuple(targets),
        details={str(k): str(v) for k, v in details.items()},
    )


def scan_refused(
    sink: AuditSink,
    *,
    actor: str,
    engagement_code: str | None,
    targets: Sequence[str],
    reason: str,
    action: str = SCAN_ACTION,
) -> None:
    sink(event(actor, action, AuditOutcome.REFUSED, engagement_code, targets, {"reason": reason}))
