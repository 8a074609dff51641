"""callback queue: one item per callback request, call attempts, staff shifts, SLA alerts

Requests already marked queued before this release never had an item: they
go back to received with a fresh callbacks.enqueue job, so the next relay
puts each in the queue (nothing a person asked for is left unseen).

Revision ID: 3af62c57838a
Revises: e9ca3862a86a
Create Date: 2026-11-29 05:45:18.259553

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3af62c57838a'
down_revision = 'e9ca3862a86a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_alerts'))
    )
    op.create_table('queue_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('callback_request_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('consent_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('callable_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rank_key', sa.Float(), nullable=False),
    sa.Column('urgency', sa.Integer(), nullable=False),
    sa.Column('best_time', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('needs_va', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=True),
    sa.Column('timezone', sa.String(length=40), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('preferred_advocate_id', sa.Integer(), nullable=True),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_breached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['callback_request_id'], ['callback_requests.id'], name=op.f('fk_queue_items_callback_request_id_callback_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['users.id'], name=op.f('fk_queue_items_claimed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_queue_items_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['preferred_advocate_id'], ['users.id'], name=op.f('fk_queue_items_preferred_advocate_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_items')),
    sa.UniqueConstraint('callback_request_id', name=op.f('uq_queue_items_callback_request_id'))
    )
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_items_claimed_by_id'), ['claimed_by_id'], unique=False)
        batch_op.create_index('ix_queue_items_one_open_per_phone', ['phone_hash'], unique=True, postgresql_where=sa.text("status IN ('queued', 'claimed', 'retry_scheduled')"), sqlite_where=sa.text("status IN ('queued', 'claimed', 'retry_scheduled')"))
        batch_op.create_index(batch_op.f('ix_queue_items_status'), ['status'], unique=False)
        batch_op.create_index('ix_queue_items_waiting', ['callable_from'], unique=False, postgresql_where=sa.text("status IN ('queued', 'retry_scheduled')"), sqlite_where=sa.text("status IN ('queued', 'retry_scheduled')"))
        batch_op.create_index('ix_queue_items_claim_order', ['rank_key'], unique=False, postgresql_where=sa.text("status IN ('queued', 'retry_scheduled')"), sqlite_where=sa.text("status IN ('queued', 'retry_scheduled')"))

    op.create_table('call_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('queue_item_id', sa.Integer(), nullable=False),
    sa.Column('advocate_id', sa.Integer(), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('next_step', sa.String(length=30), nullable=True),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['advocate_id'], ['users.id'], name=op.f('fk_call_attempts_advocate_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['queue_item_id'], ['queue_items.id'], name=op.f('fk_call_attempts_queue_item_id_queue_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_attempts'))
    )
    with op.batch_alter_table('call_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_call_attempts_phone', ['phone_hash', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_attempts_queue_item_id'), ['queue_item_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('diagnosed_recently', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('deceased_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_wrong', sa.Boolean(), server_default='0', nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shifts', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('timezone', sa.String(length=40), server_default='America/New_York', nullable=False))

    _requeue_queued_requests()


def _requeue_queued_requests():
    bind = op.get_bind()
    requests = sa.table("callback_requests", sa.column("id", sa.Integer), sa.column("status", sa.String))
    outbox = sa.table(
        "outbox_messages",
        sa.column("task_name", sa.String),
        sa.column("args", sa.JSON),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("due_at", sa.DateTime(timezone=True)),
        sa.column("publish_attempts", sa.Integer),
        sa.column("runs", sa.Integer),
        sa.column("failures", sa.Integer),
    )
    ids = [row.id for row in bind.execute(sa.select(requests.c.id).where(requests.c.status == "queued"))]
    if not ids:
        return
    now = datetime.now(timezone.utc)
    bind.execute(requests.update().where(requests.c.id.in_(ids)).values(status="received"))
    bind.execute(
        outbox.insert(),
        [
            {"task_name": "callbacks.enqueue", "args": [request_id], "created_at": now,
             "due_at": now, "publish_attempts": 0, "runs": 0, "failures": 0}
            for request_id in ids
        ],
    )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('shifts')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('phone_wrong')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('deceased_at')
        batch_op.drop_column('diagnosed_recently')

    with op.batch_alter_table('call_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_attempts_queue_item_id'))
        batch_op.drop_index('ix_call_attempts_phone')

    op.drop_table('call_attempts')
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_items_claim_order', postgresql_where=sa.text("status IN ('queued', 'retry_scheduled')"), sqlite_where=sa.text("status IN ('queued', 'retry_scheduled')"))
        batch_op.drop_index('ix_queue_items_waiting', postgresql_where=sa.text("status IN ('queued', 'retry_scheduled')"), sqlite_where=sa.text("status IN ('queued', 'retry_scheduled')"))
        batch_op.drop_index(batch_op.f('ix_queue_items_status'))
        batch_op.drop_index('ix_queue_items_one_open_per_phone', postgresql_where=sa.text("status IN ('queued', 'claimed', 'retry_scheduled')"), sqlite_where=sa.text("status IN ('queued', 'claimed', 'retry_scheduled')"))
        batch_op.drop_index(batch_op.f('ix_queue_items_claimed_by_id'))

    op.drop_table('queue_items')
    op.drop_table('staff_alerts')
