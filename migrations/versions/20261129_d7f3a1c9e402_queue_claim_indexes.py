"""queue claim indexes: the whole claim order in one index, and each advocate's own call backs

Claim-next reads the waiting items in the claim order and stops at the first
unlocked one that fits.  With ``rank_key`` alone in the index, every tie
(most items share a handful of rank keys) was sorted per claim; and the
advocate's own call backs were found by reading the whole queue.

Revision ID: d7f3a1c9e402
Revises: b3e7d1f05c62
Create Date: 2026-11-29 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d7f3a1c9e402"
down_revision = "b3e7d1f05c62"
branch_labels = None
depends_on = None

WAITING = "status IN ('queued', 'retry_scheduled')"
PREFERRED = f"preferred_advocate_id IS NOT NULL AND {WAITING}"


def upgrade():
    op.drop_index("ix_queue_items_claim_order", table_name="queue_items")
    op.create_index(
        "ix_queue_items_claim_order",
        "queue_items",
        [sa.text("rank_key DESC"), "requested_at", "id"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )
    op.create_index(
        "ix_queue_items_preferred",
        "queue_items",
        ["preferred_advocate_id"],
        postgresql_where=sa.text(PREFERRED),
        sqlite_where=sa.text(PREFERRED),
    )


def downgrade():
    op.drop_index("ix_queue_items_preferred", table_name="queue_items")
    op.drop_index("ix_queue_items_claim_order", table_name="queue_items")
    op.create_index(
        "ix_queue_items_claim_order",
        "queue_items",
        ["rank_key"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )
