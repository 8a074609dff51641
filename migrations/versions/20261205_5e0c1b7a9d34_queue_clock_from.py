"""queue clock_from: the speed-to-lead clock starts when we said the call could come

A caller told "after 9:00 AM" at 8:46 was counted late at 8:51, because
lateness counted from ``callable_from`` (when the calling rules first allow
a call), not from the time promised.  ``clock_from`` is the later of the
two; items already queued keep counting from ``callable_from``, which is all
that was known about them.

Revision ID: 5e0c1b7a9d34
Revises: b4d1e7a9c362
Create Date: 2026-12-05 07:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e0c1b7a9d34"
down_revision = "b4d1e7a9c362"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("queue_items") as batch_op:
        batch_op.add_column(sa.Column("clock_from", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE queue_items SET clock_from = callable_from")
    with op.batch_alter_table("queue_items") as batch_op:
        batch_op.alter_column("clock_from", existing_type=sa.DateTime(timezone=True),
                              nullable=False)  # fmt: skip


def downgrade():
    with op.batch_alter_table("queue_items") as batch_op:
        batch_op.drop_column("clock_from")
