"""2026-11-26: job workers' heartbeats and when a unit's message was last received, so the units a
dead worker held are sent again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "jobs_0002"
down_revision = "attachments_0001"


def upgrade() -> None:
    op.create_table(
        "job_workers",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_workers")),
    )
    with op.batch_alter_table("job_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_units", schema=None) as batch_op:
        batch_op.drop_column("held_at")
    op.drop_table("job_workers")
