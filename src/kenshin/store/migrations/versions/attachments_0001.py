"""2026-12-01: request attachments."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kenshin.store.migrations.helpers import create_indexes, drop_indexes, references

revision = "attachments_0001"
down_revision = "jobs_0001"


def upgrade() -> None:
    op.create_table(
        "request_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("parsed", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('text', 'pdf', 'png', 'jpeg', 'xlsx')",
            name=op.f("ck_request_attachments_kind"),
        ),
        sa.CheckConstraint(
            "size > 0 AND size <= 5242880", name=op.f("ck_request_attachments_size")
        ),
        sa.CheckConstraint(
            "length(sha256) = 64", name=op.f("ck_request_attachments_sha256_length")
        ),
        references("request_attachments", "request_id", "vendor_requests", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_attachments")),
        sa.UniqueConstraint(
            "request_id", "sha256", name=op.f("uq_request_attachments_request_id_sha256")
        ),
    )
    create_indexes("request_attachments", "request_id")


def downgrade() -> None:
    drop_indexes("request_attachments", "request_id")
    op.drop_table("request_attachments")
