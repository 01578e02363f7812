"""Recording the authorisation of the remote diagnosis and its window, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kenshin.app._audit import edit_engagement, record
from kenshin.domain import Engagement
from kenshin.store import Store


@dataclass(frozen=True)
class Authorisation:
    """What the hospital approved: by whom, on which document, when; optionally the window."""

    approved_by: str
    document_ref: str
    approved_at: datetime
    window: tuple[datetime, datetime] | None = None


def authorise(store: Store, code: str, given: Authorisation, *, actor: str) -> Engagement:
    """Store the authorisation (and window) through the validation gate; audit both."""
    by, document = given.approved_by.strip(), given.document_ref.strip()

    def change(doc: dict[str, Any]) -> None:
        doc["authorisation"] = {
            "approved_by": by,
            "approved_at": given.approved_at,
            "document_ref": document,
        }
        if given.window is not None:
            doc["diagnosis_window"] = {"start": given.window[0], "end": given.window[1]}

    with store.session() as session:
        before, after = edit_engagement(session, code, change)
        record(
            session,
            actor,
            "scope.authorise",
            code,
            details={
                "approved_by": by,
                "document_ref": document,
                "approved_at": given.approved_at.isoformat(),
                "previous": before.authorisation.document_ref if before.authorisation else "",
            },
        )
        if after.window != before.window and after.window is not None:
            record(
                session,
                actor,
                "scope.window",
                code,
                details={
                    "start": after.window.starts_at.isoformat(),
                    "end": after.window.ends_at.isoformat(),
                    "previous_start": before.window.starts_at.isoformat() if before.window else "",
                    "previous_end": before.window.ends_at.isoformat() if before.window else "",
                },
            )
    return after
