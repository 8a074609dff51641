"""email deliveries and printed copies

One row per email owed (contact, purpose, request) with its sending state,
the addresses that must not be mailed again, the printed guides to post,
and the language a guide is written in.

Revision ID: e9ca3862a86a
Revises: 0d3213fcb98e
Create Date: 2026-11-29 05:07:48.590783

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e9ca3862a86a'
down_revision = '0d3213fcb98e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('to_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sending_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    sa.Column('smtp_code', sa.Integer(), nullable=True),
    sa.Column('smtp_status', sa.String(length=12), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_email_deliveries_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_deliveries')),
    sa.UniqueConstraint('contact_id', 'purpose', 'request_id', name=op.f('uq_email_deliveries_contact_id'))
    )
    with op.batch_alter_table('email_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_email_deliveries_open', ['to_hash'], unique=False, postgresql_where=sa.text("status IN ('pending', 'sending')"), sqlite_where=sa.text("status IN ('pending', 'sending')"))
        batch_op.create_index(batch_op.f('ix_email_deliveries_status'), ['status'], unique=False)

    op.create_table('email_suppressions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['email_deliveries.id'], name=op.f('fk_email_suppressions_delivery_id_email_deliveries'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_suppressions')),
    sa.UniqueConstraint('address_hash', name=op.f('uq_email_suppressions_address_hash'))
    )
    op.create_table('fulfilment_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guide_request_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('mailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mailed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['guide_request_id'], ['guide_requests.id'], name=op.f('fk_fulfilment_items_guide_request_id_guide_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mailed_by_id'], ['users.id'], name=op.f('fk_fulfilment_items_mailed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fulfilment_items')),
    sa.UniqueConstraint('guide_request_id', name=op.f('uq_fulfilment_items_guide_request_id'))
    )
    with op.batch_alter_table('fulfilment_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fulfilment_items_status'), ['status'], unique=False)

    with op.batch_alter_table('guide_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), server_default='en', nullable=False))



def downgrade():
    with op.batch_alter_table('guide_requests', schema=None) as batch_op:
        batch_op.drop_column('language')

    with op.batch_alter_table('fulfilment_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fulfilment_items_status'))

    op.drop_table('fulfilment_items')
    op.drop_table('email_suppressions')
    with op.batch_alter_table('email_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_deliveries_status'))
        batch_op.drop_index('ix_email_deliveries_open', postgresql_where=sa.text("status IN ('pending', 'sending')"), sqlite_where=sa.text("status IN ('pending', 'sending')"))

    op.drop_table('email_deliveries')
