"""audit events are append-only: a trigger refuses UPDATE and DELETE on them

Every staff view of personal data, change, export and sign-in leaves one
row; the trigger makes sure the application (or anyone with its database
role) can add rows but never rewrite or remove them.  Staff accounts are
deactivated, never deleted, so the rows' actor stays.

Revision ID: 7d2e4a9c1b30
Revises: 5b1c0e2f7a41
Create Date: 2026-11-29 09:25:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "7d2e4a9c1b30"
down_revision = "5b1c0e2f7a41"
branch_labels = None
depends_on = None

POSTGRES_UP = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events;
DROP FUNCTION IF EXISTS audit_events_append_only();
"""
SQLITE_UP = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS audit_events_no_update",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_UP)
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_DOWN)
    else:
        for statement in SQLITE_DOWN:
            op.execute(statement)
