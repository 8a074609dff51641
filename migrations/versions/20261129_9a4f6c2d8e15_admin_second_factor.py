"""admin second factor: a TOTP key (sealed), the last step used, recovery code hashes

Revision ID: 9a4f6c2d8e15
Revises: 7d2e4a9c1b30
Create Date: 2026-11-29 09:35:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9a4f6c2d8e15"
down_revision = "7d2e4a9c1b30"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("totp_pending", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("totp_last_step", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("recovery_codes", sa.JSON(), server_default="[]", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        for column in ("recovery_codes", "totp_last_step", "totp_enabled_at", "totp_pending",
                       "totp_secret"):  # fmt: skip
            batch_op.drop_column(column)
