"""2026-12-06: findings name their device (the fusion stage's label); scan runs keep their fused
devices per address (kenshin.scan/1 1.1). Runs stored before keep NULL: nothing to
convert, since a diagnosis fuses their devices again from their stored ports."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "i15_devices_0001"
down_revision = "findings_0001"


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("device", sa.String(length=300), nullable=False, server_default="")
        )
    with op.batch_alter_table("scan_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("devices", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scan_runs", schema=None) as batch_op:
        batch_op.drop_column("devices")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("device")
