"""outbox republish: a due time, counts of runs and failures, and a give-up stamp

A published job still unprocessed when its due time comes is handed to the
broker again (its message died with Redis, or with a killed worker); one that
keeps failing waits for a person.  Existing unprocessed rows become due at
once, so a job stranded before this release is recovered by the next relay.

Revision ID: 0d3213fcb98e
Revises: a987b36c4003
Create Date: 2026-11-29 04:38:04.402504

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0d3213fcb98e"
down_revision = "a987b36c4003"
branch_labels = None
depends_on = None

OPEN = "processed_at IS NULL AND gave_up_at IS NULL"


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("runs", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("failures", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("gave_up_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox_messages SET due_at = created_at")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column("due_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_index(
            "ix_outbox_messages_unpublished",
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )
        batch_op.create_index(
            "ix_outbox_messages_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text(OPEN),
            sqlite_where=sa.text(OPEN),
        )


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_messages_due",
            postgresql_where=sa.text(OPEN),
            sqlite_where=sa.text(OPEN),
        )
        batch_op.create_index(
            "ix_outbox_messages_unpublished",
            ["id"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )
        batch_op.drop_column("gave_up_at")
        batch_op.drop_column("failures")
        batch_op.drop_column("runs")
        batch_op.drop_column("due_at")
