"""2026-11-26: terminal survey: imported results per terminal and their verdicts."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kenshin.store.migrations.helpers import create_indexes, drop_indexes, references

revision = "terminals_0001"
down_revision = "scan_0001"


def upgrade() -> None:
    op.create_table(
        "terminal_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("os_summary", sa.String(length=300), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_terminal_results_sha256")),
        references("terminal_results", "engagement_id", "engagements", "CASCADE"),
        references("terminal_results", "terminal_id", "terminals", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_results")),
        sa.UniqueConstraint("terminal_id", name=op.f("uq_terminal_results_terminal_id")),
    )
    create_indexes("terminal_results", "engagement_id")
    op.create_table(
        "terminal_verdicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=True),
        sa.Column("summary_ja", sa.Text(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "status IN ('ok', 'warning', 'bad', 'unknown')",
            name=op.f("ck_terminal_verdicts_status"),
        ),
        sa.CheckConstraint(
            "severity IS NULL OR severity IN ('critical', 'high', 'medium', 'low', 'info')",
            name=op.f("ck_terminal_verdicts_severity"),
        ),
        references("terminal_verdicts", "result_id", "terminal_results", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_verdicts")),
        sa.UniqueConstraint(
            "result_id", "check_id", name=op.f("uq_terminal_verdicts_result_id_check_id")
        ),
    )
    create_indexes("terminal_verdicts", "result_id")


def downgrade() -> None:
    drop_indexes("terminal_verdicts", "result_id")
    op.drop_table("terminal_verdicts")
    drop_indexes("terminal_results", "engagement_id")
    op.drop_table("terminal_results")
