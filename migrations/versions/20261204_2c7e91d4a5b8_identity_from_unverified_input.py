"""identity from unverified input: contact points are claims, not keys

A contact's email and phone stop being unique alone (two people may give
the same address); the pair is unique instead.  Each submission's case
facts are kept with who gave them (case_facts); contacts who share one
point are marked as a possible same person (possible_matches); a callback
request may ride on another contact's open call to the same number.

Revision ID: 2c7e91d4a5b8
Revises: fa8b57a6639d
Create Date: 2026-12-04 16:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "2c7e91d4a5b8"
down_revision = "fa8b57a6639d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_constraint("uq_contacts_email_hash", type_="unique")
        batch_op.drop_constraint("uq_contacts_phone_hash", type_="unique")
        batch_op.create_index("ix_contacts_email_hash", ["email_hash"], unique=False)
        batch_op.create_index("ix_contacts_phone_hash", ["phone_hash"], unique=False)
        batch_op.create_index("ix_contacts_email_phone", ["email_hash", "phone_hash"], unique=True)
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("fact_sources", sa.JSON(), nullable=True))
    with op.batch_alter_table("callback_requests") as batch_op:
        batch_op.add_column(sa.Column("joined_item_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_callback_requests_joined_item_id", ["joined_item_id"], unique=False
        )
    op.create_table(
        "case_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_facts_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_case_facts_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_facts")),
    )
    op.create_index("ix_case_facts_case_id", "case_facts", ["case_id"], unique=False)
    op.create_index("ix_case_facts_contact_id", "case_facts", ["contact_id"], unique=False)
    op.create_table(
        "possible_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("other_contact_id", sa.Integer(), nullable=False),
        sa.Column("shared", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=12), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_possible_matches_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_contact_id"],
            ["contacts.id"],
            name=op.f("fk_possible_matches_other_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["users.id"],
            name=op.f("fk_possible_matches_resolved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_possible_matches")),
        sa.UniqueConstraint(
            "contact_id",
            "other_contact_id",
            "shared",
            name=op.f("uq_possible_matches_contact_id"),
        ),
    )
    op.create_index(
        "ix_possible_matches_contact_id", "possible_matches", ["contact_id"], unique=False
    )
    op.create_index(
        "ix_possible_matches_other_contact_id",
        "possible_matches",
        ["other_contact_id"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_possible_matches_other_contact_id", table_name="possible_matches")
    op.drop_index("ix_possible_matches_contact_id", table_name="possible_matches")
    op.drop_table("possible_matches")
    op.drop_index("ix_case_facts_contact_id", table_name="case_facts")
    op.drop_index("ix_case_facts_case_id", table_name="case_facts")
    op.drop_table("case_facts")
    with op.batch_alter_table("callback_requests") as batch_op:
        batch_op.drop_index("ix_callback_requests_joined_item_id")
        batch_op.drop_column("joined_item_id")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("fact_sources")
    # contacts that now share one point cannot all keep it under the old unique keys:
    # the downgrade refuses rather than drop someone's email or phone
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_index("ix_contacts_email_phone")
        batch_op.drop_index("ix_contacts_phone_hash")
        batch_op.drop_index("ix_contacts_email_hash")
        batch_op.create_unique_constraint("uq_contacts_email_hash", ["email_hash"])
        batch_op.create_unique_constraint("uq_contacts_phone_hash", ["phone_hash"])
