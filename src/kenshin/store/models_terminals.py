"""Tables of the terminal survey: the imported result per terminal and its verdicts.

One row in ``terminal_results`` per terminal (a re-import replaces it); its verdicts
hang below it. Findings go to the shared ``findings`` table through
``FindingRepository``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kenshin.store.models import Base, EngagementOwned


class TerminalResultRow(EngagementOwned, Base):
    __tablename__ = "terminal_results"
    __table_args__ = (
        UniqueConstraint("terminal_id"),
        CheckConstraint("length(sha256) = 64", name="sha256"),
    )

    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminals.id", ondelete="CASCADE"))
    host: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    os_summary: Mapped[str] = mapped_column(String(300))
    collected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    evaluated_on: Mapped[date] = mapped_column(Date)
    raw: Mapped[str] = mapped_column(Text)

    verdicts: Mapped[list[TerminalVerdictRow]] = relationship(
        cascade="all, delete-orphan", order_by="TerminalVerdictRow.position"
    )


class TerminalVerdictRow(Base):
    __tablename__ = "terminal_verdicts"
    __table_args__ = (
        UniqueConstraint("result_id", "check_id"),
        CheckConstraint("status IN ('ok', 'warning', 'bad', 'unknown')", name="status"),
        CheckConstraint(
            "severity IS NULL OR severity IN ('critical', 'high', 'medium', 'low', 'info')",
            name="severity",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(
        ForeignKey("terminal_results.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    check_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str | None] = mapped_column(String(10), nullable=True)
    summary_ja: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    checklist: Mapped[list[str]] = mapped_column(JSON, default=list)
