"""Helpers shared by the survey-workflow commands (hearing, requests, targets, vault)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kenshin.domain import AuditOutcome, Engagement
from kenshin.scope import current_actor
from kenshin.store import AuditLog

actor = current_actor  # who runs the command: one answer for every audit record


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
    AuditLog(session).note(
        who or actor(), action, code, outcome=outcome, targets=targets, details=details
    )


AuditEntry = tuple[str, tuple[str, ...], dict[str, str]]


def address_changes(before: Engagement, after: Engagement) -> list[AuditEntry]:
    """Global addresses that appeared or disappeared (scope changes), as audit entries."""

    def addresses(engagement: Engagement) -> dict[str, tuple[str, str]]:
        return {
            str(a.address): (p.key, a.assignment.value)
            for p in engagement.connection_points
            for a in p.addresses
        }

    old, new = addresses(before), addresses(after)
    entries: list[AuditEntry] = []
    for text in sorted(new.keys() - old.keys()):
        point, assignment = new[text]
        entries.append(("scope.address_added", (text,), {"point": point, "assignment": assignment}))
    for text in sorted(old.keys() - new.keys()):
        point, assignment = old[text]
        entries.append(
            ("scope.address_removed", (text,), {"point": point, "assignment": assignment})
        )
    for text in sorted(old.keys() & new.keys()):
        if old[text] != new[text]:
            entries.append(
                (
                    "scope.address_changed",
                    (text,),
                    {
                        "point": new[text][0],
                        "assignment": new[text][1],
                        "previous": f"{old[text][0]} {old[text][1]}",
                    },
                )
            )
    return entries
