"""case match tier: which kind of doctor each recorded match is for the case

1 fits the case's stage (or its need), 2 treats its type, 3 supportive care.
Matches recorded before this release have none until the case is matched again.

Revision ID: e1a26ff549fc
Revises: 3af62c57838a
Create Date: 2026-11-29 08:47:35.119707

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e1a26ff549fc"
down_revision = "3af62c57838a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("case_matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("case_matches", schema=None) as batch_op:
        batch_op.drop_column("tier")
