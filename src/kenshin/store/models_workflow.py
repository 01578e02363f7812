"""Tables of the survey workflow: vendor information requests, their attachments, the vault.

Requests refer to devices and connection points by their keys (``DEV-03``, ``CP-02``),
not by row ids, so a re-imported engagement keeps its requests. Vault entries hold only
ciphertext: the key never reaches the database (see ``kenshin.vault``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    delete,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from kenshin.store.db import rows_changed
from kenshin.store.models import AuditEventRow, Base, EngagementOwned, EngagementRow, one_of

ATTACHMENT_KINDS = ("text", "pdf", "png", "jpeg", "xlsx")  # kenshin.filetypes.FileKind
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
REQUEST_STATES = ("draft", "sent", "answered", "difficult", "cancelled")
REQUEST_PATHS = ("A", "B", "C")
RECIPIENT_KINDS = ("vendor", "hospital", "other")


class VendorRequestRow(EngagementOwned, Base):
    """One information request (ご依頼事項) to a vendor or contract holder."""

    __tablename__ = "vendor_requests"
    __table_args__ = (
        UniqueConstraint("engagement_id", "number"),
        CheckConstraint(one_of("state", REQUEST_STATES), name="state"),
        CheckConstraint(one_of("path", REQUEST_PATHS), name="path"),
        CheckConstraint(one_of("recipient_kind", RECIPIENT_KINDS), name="recipient_kind"),
        CheckConstraint("device_key IS NOT NULL OR point_key IS NOT NULL", name="has_subject"),
        CheckConstraint("state <> 'sent' OR sent_at IS NOT NULL", name="sent_at"),
        CheckConstraint("state <> 'answered' OR answered_at IS NOT NULL", name="answered_at"),
    )

    number: Mapped[int] = mapped_column(Integer)  # REQ-001: numbered per engagement
    device_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    point_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    path: Mapped[str] = mapped_column(String(1))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    recipient_kind: Mapped[str] = mapped_column(String(16))
    recipient_vendor_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    wants: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    answer: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    follows_id: Mapped[int | None] = mapped_column(
        ForeignKey("vendor_requests.id", ondelete="SET NULL"), nullable=True
    )

    events: Mapped[list[VendorRequestEventRow]] = relationship(
        cascade="all, delete-orphan", order_by="VendorRequestEventRow.id"
    )


class VendorRequestEventRow(Base):
    """A change of a request's state: the history 未依頼 → 依頼済 → 回答済 / 対応困難."""

    __tablename__ = "vendor_request_events"
    __table_args__ = (CheckConstraint(one_of("state", REQUEST_STATES), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class RequestAttachmentRow(Base):
    """A file a vendor (or the surveyor) attached to a request: a procedure, a device output.

    The bytes live in the engagement store itself, next to the answer they support: one
    transaction writes both, PostgreSQL shares them with every web process and worker,
    and deleting an engagement deletes its files. The SHA-256 makes a second upload of
    the same file to the same request a no-op and lets anyone check a download.
    """

    __tablename__ = "request_attachments"
    __table_args__ = (
        UniqueConstraint("request_id", "sha256"),
        CheckConstraint(one_of("kind", ATTACHMENT_KINDS), name="kind"),
        CheckConstraint(f"size > 0 AND size <= {ATTACHMENT_MAX_BYTES}", name="size"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("vendor_requests.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    uploaded_by: Mapped[str] = mapped_column(String(200), default="")
    parsed: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # device-output reading


class VaultEntryRow(EngagementOwned, Base):
    """A handed-over device account, sealed with AES-GCM; the key is never stored."""

    __tablename__ = "vault_entries"
    __table_args__ = (
        UniqueConstraint("engagement_id", "device_key"),
        CheckConstraint("length(nonce) = 12", name="nonce_length"),
    )

    device_key: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200), default="")


@event.listens_for(Session, "before_flush")
def _purge_vault_when_closed(session: Session, _context: Any, _instances: Any) -> None:
    """Handed-over accounts never outlive the survey: closing an engagement purges them.

    Whatever closes the engagement (a command, an imported file, the web), the purge
    happens in the same transaction and is written to the audit log.
    """
    for row in list(session.dirty):
        if not isinstance(row, EngagementRow) or row.status != "closed" or row.id is None:
            continue
        if not inspect(row).attrs.status.history.added:
            continue
        result = session.connection().execute(
            delete(VaultEntryRow).where(VaultEntryRow.engagement_id == row.id)
        )
        session.add(
            AuditEventRow(
                at=datetime.now(UTC),
                actor="kenshin",
                action="vault.purge",
                outcome="succeeded",
                engagement_id=row.id,
                engagement_code=row.code,
                targets=[],
                details={
                    "entries": str(rows_changed(result)),
                    "reason": "engagement closed",
                },
            )
        )
