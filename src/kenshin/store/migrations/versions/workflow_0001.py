"""2026-11-26: workflow: vendor information requests, their state history, the credential
vault."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kenshin.store.migrations.helpers import create_indexes, drop_indexes, references

revision = "workflow_0001"
down_revision = "0001_engagement_store"


def upgrade() -> None:
    op.create_table(
        "vendor_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("device_key", sa.String(length=64), nullable=True),
        sa.Column("point_key", sa.String(length=64), nullable=True),
        sa.Column("path", sa.String(length=1), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("recipient_kind", sa.String(length=16), nullable=False),
        sa.Column("recipient_vendor_key", sa.String(length=64), nullable=True),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("wants", sa.JSON(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("follows_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('draft', 'sent', 'answered', 'difficult', 'cancelled')",
            name=op.f("ck_vendor_requests_state"),
        ),
        sa.CheckConstraint("path IN ('A', 'B', 'C')", name=op.f("ck_vendor_requests_path")),
        sa.CheckConstraint(
            "recipient_kind IN ('vendor', 'hospital', 'other')",
            name=op.f("ck_vendor_requests_recipient_kind"),
        ),
        sa.CheckConstraint(
            "device_key IS NOT NULL OR point_key IS NOT NULL",
            name=op.f("ck_vendor_requests_has_subject"),
        ),
        sa.CheckConstraint(
            "state <> 'sent' OR sent_at IS NOT NULL", name=op.f("ck_vendor_requests_sent_at")
        ),
        sa.CheckConstraint(
            "state <> 'answered' OR answered_at IS NOT NULL",
            name=op.f("ck_vendor_requests_answered_at"),
        ),
        references("vendor_requests", "engagement_id", "engagements", "CASCADE"),
        references("vendor_requests", "follows_id", "vendor_requests", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_vendor_requests_number")),
    )
    create_indexes("vendor_requests", "engagement_id")

    op.create_table(
        "vendor_request_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state IN ('draft', 'sent', 'answered', 'difficult', 'cancelled')",
            name=op.f("ck_vendor_request_events_state"),
        ),
        references("vendor_request_events", "request_id", "vendor_requests", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor_request_events")),
    )
    create_indexes("vendor_request_events", "request_id")

    op.create_table(
        "vault_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("device_key", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("length(nonce) = 12", name=op.f("ck_vault_entries_nonce_length")),
        references("vault_entries", "engagement_id", "engagements", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vault_entries")),
        sa.UniqueConstraint(
            "engagement_id", "device_key", name=op.f("uq_vault_entries_engagement_id_device_key")
        ),
    )
    create_indexes("vault_entries", "engagement_id")


def downgrade() -> None:
    drop_indexes("vault_entries", "engagement_id")
    op.drop_table("vault_entries")
    drop_indexes("vendor_request_events", "request_id")
    op.drop_table("vendor_request_events")
    drop_indexes("vendor_requests", "engagement_id")
    op.drop_table("vendor_requests")
