"""The one UTC conversion and the one Japan zone every room uses (kenshin.domain.clock)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime

import pytest

from kenshin.domain import JST, as_utc, japan_today
from kenshin.domain.clock import japan_clock, japan_date, japan_form_value, japan_time
from kenshin.jobs.repository import _status
from kenshin.store.models_jobs import JobRow


def test_naive_moment_is_taken_as_utc() -> None:
    """SQLite hands stored moments back naive; they were written as UTC."""
    assert as_utc(datetime(2026, 12, 3, 13, 0)) == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


def test_aware_moment_in_another_zone_is_converted() -> None:
    converted = as_utc(datetime(2026, 12, 3, 22, 0, tzinfo=JST))
    assert converted.tzinfo is UTC
    assert (converted.hour, converted.day) == (13, 3)


def test_none_stays_none() -> None:
    assert as_utc(None) is None


def test_japan_today_crosses_midnight_before_utc() -> None:
    assert japan_today(datetime(2026, 12, 3, 15, 30, tzinfo=UTC)) == date(2026, 12, 4)
    assert japan_today(datetime(2026, 12, 3, 14, 59, tzinfo=UTC)) == date(2026, 12, 3)


def test_moment_is_shown_in_japan_time() -> None:
    moment = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    assert japan_time(moment) == "2026-12-03 20:00"
    assert japan_date(moment) == "2026-12-03"
    assert japan_clock(moment) == "20:00"
    assert japan_form_value(moment) == "2026-12-03T20:00"


def test_naive_moment_from_sqlite_is_shown_as_utc_in_japan_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLite's naive moment was written as UTC, even on a host whose clock is elsewhere."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        naive = datetime(2026, 12, 3, 11, 0)
        assert japan_time(naive) == "2026-12-03 20:00"
        assert japan_date(naive) == "2026-12-03"
        assert japan_today(naive) == date(2026, 12, 3)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_moment_near_midnight_utc_is_the_next_day_in_japan() -> None:
    moment = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    assert japan_time(moment) == "2026-12-04 08:30"
    assert japan_date(moment) == "2026-12-04"
    assert japan_form_value(moment) == "2026-12-04T08:30"


def test_job_times_from_an_aware_backend_come_back_in_utc() -> None:
    """A backend that returns aware moments in JST used to leak JST into job status."""
    row = JobRow(
        id=str(uuid.uuid4()),
        kind="scan",
        engagement_code=None,
        params={},
        requested_by="tester",
        state="succeeded",
        progress=1.0,
        message="",
        created_at=datetime(2026, 12, 3, 22, 0, tzinfo=JST),
        started_at=datetime(2026, 12, 3, 22, 1, tzinfo=JST),
        finished_at=datetime(2026, 12, 3, 22, 5, tzinfo=JST),
        result={},
        error="",
    )
    status = _status(row)
    for moment in (status.created_at, status.started_at, status.finished_at):
        assert moment is not None
        assert moment.tzinfo is UTC
    assert status.created_at == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
