"""web: vendor answers that change the scope wait as proposals; invitations can be revoked

Revision ID: i19_web_0002
Revises: i15_devices_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "i19_web_0002"
down_revision = "i15_devices_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scope_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("request_number", sa.Integer(), nullable=False),
        sa.Column("point_key", sa.String(length=64), nullable=True),
        sa.Column("wan_ip", sa.String(length=64), nullable=True),
        sa.Column("assignment", sa.String(length=16), nullable=True),
        sa.Column("proposed_by", sa.String(length=320), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected')", name=op.f("ck_scope_proposals_state")
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagements.id"],
            name=op.f("fk_scope_proposals_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_proposals")),
    )
    with op.batch_alter_table("scope_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scope_proposals_engagement_id"), ["engagement_id"], unique=False
        )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
    with op.batch_alter_table("scope_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scope_proposals_engagement_id"))
    op.drop_table("scope_proposals")
