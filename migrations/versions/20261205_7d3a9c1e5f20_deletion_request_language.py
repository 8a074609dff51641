"""deletion request language: the email follows the page the deletion was asked on

Someone who asked on the Spanish page got the confirmation email in the
language of their latest guide or callback request, English for many.  The
page's language is now kept on the request.  Requests stored before stay
NULL, and their email keeps following the latest request, which is all that
was known about them.

Revision ID: 7d3a9c1e5f20
Revises: 5e0c1b7a9d34
Create Date: 2026-12-05 08:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7d3a9c1e5f20"
down_revision = "5e0c1b7a9d34"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deletion_requests") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))


def downgrade():
    with op.batch_alter_table("deletion_requests") as batch_op:
        batch_op.drop_column("language")
