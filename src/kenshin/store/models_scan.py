"""Tables of the scan room: one row per scan run, one row per probed port.

A run records who scanned what, with which options, and how it ended
(``running`` while probing, ``interrupted`` after a stop or Ctrl-C, ``finished``,
``failed``); its ports are written while the scan goes, so an interrupted run keeps
what it found and ``kenshin scan --resume`` continues it. Service identity fields are
filled in by identification (or by an imported nmap file).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kenshin.store.models import Base, one_of

RUN_STATUSES = ("running", "interrupted", "finished", "failed")
RUN_SOURCES = ("kenshin", "nmap")
PORT_STATES = ("open", "closed", "filtered", "open|filtered")
CONFIDENCES = ("high", "medium", "low", "inferred")


class ScanRunRow(Base):
    __tablename__ = "scan_runs"
    __table_args__ = (
        CheckConstraint(one_of("status", RUN_STATUSES), name="status"),
        CheckConstraint(one_of("source", RUN_SOURCES), name="source"),
        CheckConstraint(
            "finished_at IS NULL OR finished_at >= started_at", name="finished_after_start"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    engagement_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), nullable=True, index=True
    )
    engagement_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    source: Mapped[str] = mapped_column(String(16), default="kenshin")
    status: Mapped[str] = mapped_column(String(16), default="running")
    actor: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    tcp_mode: Mapped[str] = mapped_column(String(16), default="")
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)
    tcp_ports: Mapped[str] = mapped_column(Text, default="")
    udp_ports: Mapped[str] = mapped_column(Text, default="")
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # the fused devices per address (kenshin.scan/1 1.1 device documents); NULL for runs
    # stored before devices existed: the diagnosis fuses them again from the stored ports
    devices: Mapped[dict[str, list[dict[str, Any]]] | None] = mapped_column(JSON, nullable=True)


class ScanPortRow(Base):
    __tablename__ = "scan_ports"
    __table_args__ = (
        UniqueConstraint("run_id", "address", "protocol", "port"),
        CheckConstraint(one_of("protocol", ("tcp", "udp")), name="protocol"),
        CheckConstraint(one_of("state", PORT_STATES), name="state"),
        CheckConstraint("port BETWEEN 1 AND 65535", name="port_range"),
        CheckConstraint(
            "confidence IS NULL OR " + one_of("confidence", CONFIDENCES), name="confidence"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("scan_runs.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(45))
    protocol: Mapped[str] = mapped_column(String(3))
    port: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64), default="")
    service: Mapped[str] = mapped_column(String(100), default="")
    product: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[str] = mapped_column(String(200), default="")
    cpe: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidence: Mapped[str | None] = mapped_column(String(16), nullable=True)
    evidence: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
