"""Confirming a dynamic address on the diagnosis day: ``scope``'s rule, the write, the audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kenshin.app._audit import record
from kenshin.domain.clock import japan_today
from kenshin.inventory import edit_engagement
from kenshin.scope import (
    CONFIRM_ACTION,
    ScopeError,
    address_to_confirm,
    with_confirmation,
)
from kenshin.store import EngagementRepository, Store, now_utc


@dataclass(frozen=True)
class Confirmed:
    address: str
    point_key: str
    confirmed_by: str
    confirmed_at: datetime


def confirm_address(
    store: Store,
    code: str,
    address: str,
    *,
    by: str,
    actor: str,
    now: datetime | None = None,
) -> Confirmed | None:
    """Record that ``by`` re-confirmed ``address`` today; ``None`` for a fixed address.

    ``ScopeError`` for anything ``scope.address_to_confirm`` refuses (a closed
    engagement or network, a line out of the EHR scope, an unknown assignment) and for
    a confirmation by nobody.
    """
    who = by.strip()
    moment = now or now_utc()
    with store.session() as session:
        target = address_to_confirm(EngagementRepository(session).get(code), address)
        if target is None:
            return None
        if not who:
            raise ScopeError("scope.confirm_by_nobody", address=target.text)
        edit_engagement(session, code, lambda doc: with_confirmation(doc, target, who, moment))
        record(
            session,
            actor,
            CONFIRM_ACTION,
            code,
            targets=(target.text,),
            details={
                "point": target.point_key,
                "confirmed_by": who,
                "japan_date": japan_today(moment).isoformat(),
            },
            at=moment,
        )
    return Confirmed(target.text, target.point_key, who, moment)
