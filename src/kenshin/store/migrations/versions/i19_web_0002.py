"""2026-12-06: web: vendor answers that change the scope wait as proposals; invitations
can be revoked."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kenshin.store.migrations.helpers import create_indexes, drop_indexes, references

revision = "i19_web_0002"
down_revision = "i15_devices_0001"


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
        references("scope_proposals", "engagement_id", "engagements", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_proposals")),
    )
    create_indexes("scope_proposals", "engagement_id")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
    drop_indexes("scope_proposals", "engagement_id")
    op.drop_table("scope_proposals")
