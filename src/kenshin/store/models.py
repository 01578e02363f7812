"""SQLAlchemy 2.0 tables of the engagement store.

Invariants that matter are enforced by the database itself (foreign keys, unique keys
per engagement, CHECK constraints on vocabularies and on "out of scope needs a
reason"), so that no code path — CLI, web, a future worker — can store nonsense.
Alembic migrations in ``store/migrations`` create exactly these tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kenshin.domain.enums import (
    AddressAssignment,
    AuditOutcome,
    Confidence,
    ConnectionKind,
    DeviceRole,
    EngagementStatus,
    FindingCategory,
    FindingStatus,
    HolderKind,
    Severity,
    TerminalRole,
    VersionSource,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values: Iterable[str]) -> str:
    """A CHECK expression that keeps a text column inside a vocabulary (a tuple or a StrEnum)."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class EngagementOwned:
    """Mixin: a row that belongs to one engagement and is deleted with it.

    ``sort_order`` puts the mixins' columns first, where the migrations created them.
    """

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-4)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), index=True, sort_order=-3
    )


class EngagementItem(EngagementOwned):
    """Mixin: an item of one of an engagement's lists, by its key and its place in the list."""

    key: Mapped[str] = mapped_column(String(64), sort_order=-2)
    position: Mapped[int] = mapped_column(Integer, default=0, sort_order=-1)


class Timestamped:
    """Mixin: when the row was created and last changed, set by the database."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class InstitutionRow(Base):
    __tablename__ = "institutions"
    __table_args__ = (CheckConstraint("bed_count IS NULL OR bed_count >= 0", name="beds"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(400), default="")
    prefecture: Mapped[str] = mapped_column(String(20), default="")
    bed_count: Mapped[int | None] = mapped_column(Integer, nullable=True)


class EngagementRow(Timestamped, Base):
    __tablename__ = "engagements"
    __table_args__ = (
        CheckConstraint(one_of("status", EngagementStatus), name="status"),
        CheckConstraint("terminal_limit >= 1", name="terminal_limit"),
        CheckConstraint(
            "window_start IS NULL OR window_end IS NULL OR window_end > window_start",
            name="window_order",
        ),
        CheckConstraint(
            "survey_start IS NULL OR survey_end IS NULL OR survey_end >= survey_start",
            name="survey_order",
        ),
        CheckConstraint(
            "(auth_approved_by IS NULL) = (auth_approved_at IS NULL)", name="auth_complete"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default=EngagementStatus.DRAFT.value)
    survey_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    survey_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    window_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    window_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    auth_approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    auth_approved_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    auth_document_ref: Mapped[str] = mapped_column(String(200), default="")
    terminal_limit: Mapped[int] = mapped_column(Integer, default=5)

    institution: Mapped[InstitutionRow] = relationship()
    contacts: Mapped[list[ContactRow]] = relationship(
        cascade="all, delete-orphan",
        order_by="ContactRow.position",
        primaryjoin="and_(EngagementRow.id == ContactRow.engagement_id, "
        "ContactRow.vendor_id.is_(None))",
    )
    vendors: Mapped[list[VendorRow]] = relationship(
        cascade="all, delete-orphan", order_by="VendorRow.position"
    )
    points: Mapped[list[ConnectionPointRow]] = relationship(
        cascade="all, delete-orphan", order_by="ConnectionPointRow.position"
    )
    devices: Mapped[list[DeviceRow]] = relationship(
        cascade="all, delete-orphan", order_by="DeviceRow.position"
    )
    terminals: Mapped[list[TerminalRow]] = relationship(
        cascade="all, delete-orphan", order_by="TerminalRow.position"
    )


class ContactRow(EngagementOwned, Base):
    """A person at the institution (``vendor_id`` NULL) or at one of its vendors."""

    __tablename__ = "contacts"

    vendor_id: Mapped[int | None] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), nullable=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")


class VendorRow(EngagementItem, Base):
    __tablename__ = "vendors"
    __table_args__ = (UniqueConstraint("engagement_id", "key"),)

    company: Mapped[str] = mapped_column(String(200))
    manages: Mapped[str] = mapped_column(Text, default="")

    contacts: Mapped[list[ContactRow]] = relationship(
        cascade="all, delete-orphan",
        order_by="ContactRow.position",
        foreign_keys="ContactRow.vendor_id",
        overlaps="contacts",
    )


class ConnectionPointRow(EngagementItem, Base):
    __tablename__ = "connection_points"
    __table_args__ = (
        UniqueConstraint("engagement_id", "key"),
        CheckConstraint(one_of("kind", ConnectionKind), name="kind"),
        CheckConstraint(one_of("holder_kind", HolderKind), name="holder_kind"),
        CheckConstraint("in_ehr_scope OR scope_reason <> ''", name="out_of_scope_reason"),
        CheckConstraint(
            "holder_kind <> 'vendor' OR holder_vendor_id IS NOT NULL", name="holder_vendor"
        ),
        CheckConstraint(
            "kind <> 'closed_network' OR NOT internet_reachable", name="closed_not_internet"
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    in_ehr_scope: Mapped[bool] = mapped_column(Boolean)
    scope_reason: Mapped[str] = mapped_column(Text, default="")
    internet_reachable: Mapped[bool] = mapped_column(Boolean, default=False)
    carrier: Mapped[str] = mapped_column(String(200), default="")
    holder_kind: Mapped[str] = mapped_column(String(16), default=HolderKind.HOSPITAL.value)
    holder_vendor_id: Mapped[int | None] = mapped_column(
        ForeignKey("vendors.id", ondelete="RESTRICT"), nullable=True
    )
    holder_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    holder_vendor: Mapped[VendorRow | None] = relationship()
    addresses: Mapped[list[GlobalAddressRow]] = relationship(
        cascade="all, delete-orphan", order_by="GlobalAddressRow.id"
    )


class GlobalAddressRow(EngagementOwned, Base):
    __tablename__ = "global_addresses"
    __table_args__ = (
        UniqueConstraint("engagement_id", "address"),
        CheckConstraint(one_of("assignment", AddressAssignment), name="assignment"),
    )

    connection_point_id: Mapped[int] = mapped_column(
        ForeignKey("connection_points.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(45))
    assignment: Mapped[str] = mapped_column(String(16), default=AddressAssignment.UNKNOWN.value)
    note: Mapped[str] = mapped_column(Text, default="")

    confirmations: Mapped[list[AddressConfirmationRow]] = relationship(
        cascade="all, delete-orphan", order_by="AddressConfirmationRow.confirmed_at"
    )


class AddressConfirmationRow(Base):
    __tablename__ = "address_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(
        ForeignKey("global_addresses.id", ondelete="CASCADE"), index=True
    )
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[str] = mapped_column(String(200))


device_points = Table(
    "device_connection_points",
    Base.metadata,
    Column("device_id", ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "connection_point_id",
        ForeignKey("connection_points.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class DeviceRow(EngagementItem, Base):
    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("engagement_id", "key"),
        CheckConstraint(one_of("role", DeviceRole), name="role"),
        CheckConstraint(one_of("managed_kind", HolderKind), name="managed_kind"),
        CheckConstraint(
            "version_source IS NULL OR " + one_of("version_source", VersionSource),
            name="version_source",
        ),
        CheckConstraint(
            "version_source IS NULL OR version_source <> 'not_obtained' "
            "OR version_unavailable_reason <> ''",
            name="unavailable_reason",
        ),
        CheckConstraint(
            "managed_kind <> 'vendor' OR managed_vendor_id IS NOT NULL", name="managed_vendor"
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    vendor_name: Mapped[str] = mapped_column(String(200), default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    firmware_version: Mapped[str] = mapped_column(String(200), default="")
    firmware_version_normalised: Mapped[str] = mapped_column(String(200), default="")
    version_source: Mapped[str | None] = mapped_column(String(16), nullable=True)
    version_unavailable_reason: Mapped[str] = mapped_column(Text, default="")
    managed_kind: Mapped[str] = mapped_column(String(16), default=HolderKind.HOSPITAL.value)
    managed_vendor_id: Mapped[int | None] = mapped_column(
        ForeignKey("vendors.id", ondelete="RESTRICT"), nullable=True
    )
    managed_name: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    managed_vendor: Mapped[VendorRow | None] = relationship()
    points: Mapped[list[ConnectionPointRow]] = relationship(
        secondary=device_points, order_by="ConnectionPointRow.position"
    )


class TerminalRow(EngagementItem, Base):
    __tablename__ = "terminals"
    __table_args__ = (
        UniqueConstraint("engagement_id", "key"),
        UniqueConstraint("engagement_id", "hostname"),
        CheckConstraint(one_of("role", TerminalRole), name="role"),
    )

    hostname: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    system: Mapped[str] = mapped_column(String(200), default="")
    location: Mapped[str] = mapped_column(String(200), default="")


class FindingRow(EngagementOwned, Timestamped, Base):
    """A finding; ``fingerprint`` makes the same issue from a re-run one row, not two."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("engagement_id", "fingerprint"),
        CheckConstraint(one_of("category", FindingCategory), name="category"),
        CheckConstraint(one_of("severity", Severity), name="severity"),
        CheckConstraint(one_of("status", FindingStatus), name="status"),
        CheckConstraint(one_of("confidence", Confidence), name="confidence"),
        CheckConstraint("port IS NULL OR (port >= 0 AND port <= 65535)", name="port"),
        CheckConstraint("protocol IS NULL OR protocol IN ('tcp', 'udp')", name="protocol"),
        CheckConstraint("cvss IS NULL OR (cvss >= 0 AND cvss <= 10)", name="cvss"),
        CheckConstraint(
            "address IS NOT NULL OR device_id IS NOT NULL OR terminal_id IS NOT NULL "
            "OR connection_point_id IS NOT NULL",
            name="has_subject",
        ),
        CheckConstraint(
            "status <> 'false_positive' OR status_reason <> ''", name="false_positive_reason"
        ),
    )

    fingerprint: Mapped[str] = mapped_column(String(64))
    check_id: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    title_ja: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text, default="")
    description_ja: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    remediation_ja: Mapped[str] = mapped_column(Text, default="")
    remediation_en: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    cves: Mapped[list[str]] = mapped_column(JSON, default=list)
    kev: Mapped[bool] = mapped_column(Boolean, default=False)
    ransomware: Mapped[bool] = mapped_column(Boolean, default=False)
    cvss: Mapped[float | None] = mapped_column(Float, nullable=True)
    confidence: Mapped[str] = mapped_column(String(10), default=Confidence.HIGH.value)
    status: Mapped[str] = mapped_column(String(20), default=FindingStatus.OPEN.value)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # the structured update a vulnerability asks for (domain ``Upgrade``), or NULL
    upgrade: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    # the device the finding is about as the fusion stage names it (domain ``Finding.device``)
    device: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str | None] = mapped_column(String(45), nullable=True)
    port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    protocol: Mapped[str | None] = mapped_column(String(3), nullable=True)
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), nullable=True
    )
    terminal_id: Mapped[int | None] = mapped_column(
        ForeignKey("terminals.id", ondelete="CASCADE"), nullable=True
    )
    connection_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("connection_points.id", ondelete="CASCADE"), nullable=True
    )


class AuditEventRow(Base):
    """Append-only audit log; kept when its engagement is deleted (``engagement_code``)."""

    __tablename__ = "audit_events"
    __table_args__ = (CheckConstraint(one_of("outcome", AuditOutcome), name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(16))
    engagement_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagements.id", ondelete="SET NULL"), nullable=True, index=True
    )
    engagement_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


# The other rooms' tables share this metadata (Alembic sees them all).
from kenshin.store import (  # noqa: E402, F401
    models_jobs,
    models_scan,
    models_terminals,
    models_web,
    models_workflow,
)
