"""request attachments

Revision ID: attachments_0001
Revises: jobs_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "attachments_0001"
down_revision = "jobs_0001"
branch_labels = None
depends_on = None


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
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["vendor_requests.id"],
            name=op.f("fk_request_attachments_request_id_vendor_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_attachments")),
        sa.UniqueConstraint(
            "request_id", "sha256", name=op.f("uq_request_attachments_request_id_sha256")
        ),
    )
    with op.batch_alter_table("request_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_attachments_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("request_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_attachments_request_id"))
    op.drop_table("request_attachments")
