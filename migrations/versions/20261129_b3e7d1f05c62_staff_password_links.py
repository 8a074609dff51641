"""staff password links: the one outstanding set-your-password link per account (its hash)

Revision ID: b3e7d1f05c62
Revises: 9a4f6c2d8e15
Create Date: 2026-11-29 09:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b3e7d1f05c62"
down_revision = "9a4f6c2d8e15"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_link_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("password_link_expires_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_link_expires_at")
        batch_op.drop_column("password_link_hash")
