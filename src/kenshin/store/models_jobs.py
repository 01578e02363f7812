"""Tables of the jobs room: jobs, the units a distributed scan is split into, leases, controls.

``jobs`` holds every job's state so a page reload or another worker sees the same
thing; ``job_units`` records each unit (host x port range) of a split scan so a unit
that died with its worker is done again elsewhere and counted once; ``job_leases``
is the per-target politeness limiter shared by all workers (a unit holds its
target's lease while it probes); ``job_workers`` holds each worker's heartbeat (the
units a dead worker held are sent again); ``job_controls`` holds the global emergency
stop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kenshin.store.models import Base, one_of

JOB_STATES = ("queued", "running", "paused", "succeeded", "failed", "cancelled")
UNIT_STATES = ("queued", "running", "done", "failed")


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(one_of("state", JOB_STATES), name="state"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    engagement_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_by: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    retry_of: Mapped[str | None] = mapped_column(String(36), nullable=True)
    runner: Mapped[str] = mapped_column(String(16), default="inprocess")
    worker: Mapped[str] = mapped_column(String(200), default="")


class JobUnitRow(Base):
    __tablename__ = "job_units"
    __table_args__ = (
        # the name jobs_0001 gave it (an older convention): the models describe the
        # database as migrated, or Alembic would plan to drop and re-add it
        UniqueConstraint("job_id", "key", name="uq_job_units_job_id"),
        CheckConstraint(one_of("state", UNIT_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(64))
    ports: Mapped[str] = mapped_column(Text, default="")
    probes: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    held_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """When a worker last received the unit's message (None: never yet, it is in the broker)."""


class JobLeaseRow(Base):
    """One row per (target, slot): a unit probing ``target`` holds one slot until expiry."""

    __tablename__ = "job_leases"

    target: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobWorkerRow(Base):
    """A worker's heartbeat: ``seen_at`` is renewed every few seconds while it lives."""

    __tablename__ = "job_workers"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobControlRow(Base):
    __tablename__ = "job_controls"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[str] = mapped_column(String(200), default="")
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
