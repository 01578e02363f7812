"""Audit events of every probe run: who started what, on which targets, how it ended.

The functions build :class:`AuditEvent` values and hand them to a sink (the store's
``AuditLog.record`` in the product, a list in tests), so the network rooms never
depend on the database.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from kenshin.domain import AuditEvent, AuditOutcome

AuditSink = Callable[[AuditEvent], None]

SCAN_ACTION = "scan.port"


def current_actor() -> str:
    """The operating-system user running kenshin (the surveyor on the command line)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _details(values: Mapping[str, object]) -> dict[str, str]:
    return {str(k): str(v) for k, v in values.items()}


def scan_started(
    sink: AuditSink,
    *,
    actor: str,
    engagement_code: str | None,
    targets: Sequence[str],
    options: Mapping[str, object],
    action: str = SCAN_ACTION,
) -> None:
    sink(
        AuditEvent(
            actor=actor,
            action=action,
            outcome=AuditOutcome.STARTED,
            at=datetime.now(UTC),
            engagement_code=engagement_code,
            targets=tuple(targets),
            details=_details(options),
        )
    )


def scan_ended(
    sink: AuditSink,
    *,
    actor: str,
    engagement_code: str | None,
    targets: Sequence[str],
    outcome: AuditOutcome,
    counts: Mapping[str, object],
    action: str = SCAN_ACTION,
) -> None:
    sink(
        AuditEvent(
            actor=actor,
            action=action,
            outcome=outcome,
            at=datetime.now(UTC),
            engagement_code=engagement_code,
            targets=tuple(targets),
            details=_details(counts),
        )
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
    sink(
        AuditEvent(
            actor=actor,
            action=action,
            outcome=AuditOutcome.REFUSED,
            at=datetime.now(UTC),
            engagement_code=engagement_code,
            targets=tuple(targets),
            details={"reason": reason},
        )
    )
