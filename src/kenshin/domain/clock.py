"""Time helpers shared by every room: one UTC conversion for the store, one Japan zone.

The store keeps every moment as UTC; SQLite hands them back naive, other backends
aware. A hospital reads dates in Japan time, so "today", due dates and every moment shown
to a person use :data:`JST` (:func:`japan_time`, :func:`japan_date`).
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


def _in_japan(moment: datetime) -> datetime:
    """``moment`` on the Japan clock; a naive moment is taken as UTC, as the store wrote it
    (``astimezone`` alone would read it as the host's local time)."""
    return as_utc(moment).astimezone(JST)


def japan_today(now: datetime) -> date:
    """The Japan date of a moment (what "today" means for due dates and confirmations)."""
    return _in_japan(now).date()


def japan_time(moment: datetime) -> str:
    """A moment as a person reads it: Japan date and time, ``2026-12-03 20:00``."""
    return f"{_in_japan(moment):%Y-%m-%d %H:%M}"


def japan_date(moment: datetime) -> str:
    """The Japan date of a moment as a person reads it, ``2026-12-03``."""
    return f"{_in_japan(moment):%Y-%m-%d}"


def japan_clock(moment: datetime) -> str:
    """The Japan time of day alone, ``20:00``, where the date is already clear."""
    return f"{_in_japan(moment):%H:%M}"


def japan_form_value(moment: datetime) -> str:
    """A moment as a ``datetime-local`` form field holds it, ``2026-12-03T20:00``: Japan
    time without a zone, which ``kenshin.app`` reads back as Japan time."""
    return f"{_in_japan(moment):%Y-%m-%dT%H:%M}"
