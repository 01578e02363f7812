"""2026-11-26: scan runs and their ports (the scan room)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kenshin.store.migrations.helpers import create_indexes, drop_indexes, references

revision = "scan_0001"
down_revision = "workflow_0001"


def upgrade() -> None:
    op.create_table('scan_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=True),
    sa.Column('engagement_code', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tcp_mode', sa.String(length=16), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('tcp_ports', sa.Text(), nullable=False),
    sa.Column('udp_ports', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.CheckConstraint("source IN ('kenshin', 'nmap')", name=op.f('ck_scan_runs_source')),
    sa.CheckConstraint("status IN ('running', 'interrupted', 'finished', 'failed')", name=op.f('ck_scan_runs_status')),
    sa.CheckConstraint('finished_at IS NULL OR finished_at >= started_at', name=op.f('ck_scan_runs_finished_after_start')),
    references("scan_runs", "engagement_id", "engagements", "CASCADE"),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_runs')),
    sa.UniqueConstraint('uid', name=op.f('uq_scan_runs_uid'))
    )
    create_indexes("scan_runs", "engagement_code", "engagement_id")

    op.create_table('scan_ports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('protocol', sa.String(length=3), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('service', sa.String(length=100), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('version', sa.String(length=200), nullable=False),
    sa.Column('cpe', sa.JSON(), nullable=False),
    sa.Column('confidence', sa.String(length=16), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.CheckConstraint("confidence IS NULL OR confidence IN ('high', 'medium', 'low', 'inferred')", name=op.f('ck_scan_ports_confidence')),
    sa.CheckConstraint("protocol IN ('tcp', 'udp')", name=op.f('ck_scan_ports_protocol')),
    sa.CheckConstraint("state IN ('open', 'closed', 'filtered', 'open|filtered')", name=op.f('ck_scan_ports_state')),
    sa.CheckConstraint('port BETWEEN 1 AND 65535', name=op.f('ck_scan_ports_port_range')),
    references("scan_ports", "run_id", "scan_runs", "CASCADE"),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_ports')),
    sa.UniqueConstraint('run_id', 'address', 'protocol', 'port', name=op.f('uq_scan_ports_run_id_address_protocol_port'))
    )
    create_indexes("scan_ports", "run_id")



def downgrade() -> None:
    drop_indexes("scan_ports", "run_id")

    op.drop_table('scan_ports')
    drop_indexes("scan_runs", "engagement_id", "engagement_code")

    op.drop_table('scan_runs')
