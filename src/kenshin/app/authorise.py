"""Recording the authorisation of the remote diagnosis and its window, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kenshin.app._audit import record
from kenshin.domain import Engagement
from kenshin.domain.clock import JST
from kenshin.inventory import edit_engagement
from kenshin.scope import ScopeError
from kenshin.store import Store


@dataclass(frozen=True)
class Authorisation:
    """What the hospital approved: by whom, on which document, when; optionally the window."""

    approved_by: str
    document_ref: str
    approved_at: datetime
    window: tuple[datetime, datetime] | None = None

    @classmethod
    def from_text(
        cls,
        approved_by: str,
        document_ref: str,
        *,
        approved_at: str | None,
        window_start: str | None,
        window_end: str | None,
        now: datetime,
    ) -> Authorisation:
        """What a person typed (command line or form): empty means not given; the
        approval defaults to ``now``; a window needs both ends."""
        start, end = (moment_from_text(v) if v else None for v in (window_start, window_end))
        if (start is None) != (end is None):
            raise ScopeError("scope.window_pair")
        return cls(
            approved_by=approved_by,
            document_ref=document_ref,
            approved_at=moment_from_text(approved_at) if approved_at else now,
            window=(start, end) if start is not None and end is not None else None,
        )


def moment_from_text(text: str) -> datetime:
    """An ISO date and time; without a zone it is Japan time, the hospital's clock
    (a form's ``datetime-local`` field sends none)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ScopeError("intake.not_datetime", value=text) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=JST)


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
