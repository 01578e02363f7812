"""The one UTC conversion and the one Japan zone every room uses (kenshin.domain.clock)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from kenshin.domain import JST, as_utc, japan_today
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
