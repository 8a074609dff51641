"""print batches: printed guides joined into one PDF and one mailing list, in the same order

A batch holds no personal data (names and addresses stay sealed where they
are; the PDF is rendered when downloaded); each printed copy records the
batch it went into and its place there.

Revision ID: b4d1e7a9c362
Revises: 2c7e91d4a5b8
Create Date: 2026-12-05 07:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b4d1e7a9c362"
down_revision = "2c7e91d4a5b8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "print_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mailed_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"],
            name=op.f("fk_print_batches_created_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mailed_by_id"], ["users.id"],
            name=op.f("fk_print_batches_mailed_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_batches")),
    )  # fmt: skip
    with op.batch_alter_table("fulfilment_items") as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("batch_position", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_fulfilment_items_batch_id_print_batches"), "print_batches",
            ["batch_id"], ["id"], ondelete="SET NULL",
        )  # fmt: skip
        batch_op.create_index(batch_op.f("ix_fulfilment_items_batch_id"), ["batch_id"])


def downgrade():
    with op.batch_alter_table("fulfilment_items") as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulfilment_items_batch_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_fulfilment_items_batch_id_print_batches"), type_="foreignkey"
        )
        batch_op.drop_column("batch_position")
        batch_op.drop_column("batch_id")
    op.drop_table("print_batches")
