"""deletion requests and erased contacts: the record that a person's data was erased

A deletion request keeps a keyed hash of the address typed only until the
worker has looked it up; afterwards it is a dated status with the contact
id it concerned.  ``contacts.erased_at`` marks a contact whose personal
columns were wiped (the row stays, so counts stay).

Revision ID: c5a8e2d4f917
Revises: d7f3a1c9e402
Create Date: 2026-11-30 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5a8e2d4f917"
down_revision = "d7f3a1c9e402"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deletion_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_deletion_requests_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_requests")),
    )
    with op.batch_alter_table("deletion_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deletion_requests_contact", ["contact_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deletion_requests_requested_at"), ["requested_at"], unique=False
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("deletion_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deletion_requests_requested_at"))
        batch_op.drop_index("ix_deletion_requests_contact")
    op.drop_table("deletion_requests")
