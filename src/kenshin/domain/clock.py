"""Time helpers shared by every room: one UTC conversion for the store, one Japan zone.

The store keeps every moment as UTC; SQLite hands them back naive, other backends
aware. A hospital reads dates in Japan time, so "today" and due dates use :data:`JST`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import overload
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
"""Japan Standard Time: what "today" means for a hospital and its vendors."""


@overload
def as_utc(moment: datetime) -> datetime: ...


@overload
def as_utc(moment: None) -> None: ...


def as_utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC; a naive moment is taken as UTC (how the store wrote it)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def now_utc() -> datetime:
    """This moment, in UTC."""
    return datetime.now(UTC)


def japan_today(now: datetime) -> date:
    """The Japan date of a moment (what "today" means for due dates and confirmations)."""
    return now.astimezone(JST).date()
