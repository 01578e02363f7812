"""2026-11-27: findings carry the structured update a vulnerability asks for (product, fixed version,
version scheme, extra steps), so the report can make one action of a device's CVEs."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "findings_0001"
down_revision = "jobs_0002"


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("upgrade", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("upgrade")
