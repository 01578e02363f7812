"""2026-12-06: requests: request numbers count per engagement (REQ-001 in each hospital)."""

from __future__ import annotations

from alembic import op

revision = "requests_0001"
down_revision = "i19_web_0002"


def upgrade() -> None:
    with op.batch_alter_table("vendor_requests", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_vendor_requests_number"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_vendor_requests_engagement_id_number"), ["engagement_id", "number"]
        )


def downgrade() -> None:
    # Numbers already given per engagement may repeat across engagements; renumbering
    # them would break the references vendors and hospitals hold, so there is no way back.
    raise NotImplementedError("request numbers are per engagement from requests_0001 on")
