"""Constraints, indexes and columns that many migrations spell alike.

Frozen: an applied migration must build the same schema for ever, so never edit a function
here that a migration uses; a different shape gets a new function. Each one writes the names
the models' naming convention (``store.models.NAMING``) gives.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op


def references(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    """``table.column`` points at ``target.id``."""
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def timestamps() -> tuple[sa.Column[Any], ...]:
    """``created_at`` and ``updated_at``, set by the database when the row is inserted."""
    return tuple(
        sa.Column(
            name,
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        )
        for name in ("created_at", "updated_at")
    )


def create_indexes(table: str, *columns: str) -> None:
    """One plain index on each column, in the order given."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def drop_indexes(table: str, *columns: str) -> None:
    """Drop the indexes ``create_indexes`` made, in the order given."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
