"""seal the case's health facts and the match reasons that repeat them

Diagnosis type, stage, cell type, veteran status and ZIP on ``cases``, and
``reasons`` and ``summary`` (they name the diagnosis) and ``distance_miles``
(a few of them locate the patient) on ``case_matches``, become AES-GCM
sealed columns like the contact details.  Existing rows are
read, the columns replaced, and the values written back sealed with the
configured ``DATA_ENCRYPTION_KEY`` (and opened again on downgrade).

Revision ID: a987b36c4003
Revises: 0f0d5c1ac6ac
Create Date: 2026-11-21 09:20:00.000000

"""

import json

import sqlalchemy as sa
from alembic import op

from intake import crypto

# revision identifiers, used by Alembic.
revision = "a987b36c4003"
down_revision = "0f0d5c1ac6ac"
branch_labels = None
depends_on = None

# table: [(column, plain type, JSON-encoded when sealed, nullable)]
COLUMNS = {
    "cases": [
        ("diagnosis_type", sa.String(length=20), False, True),
        ("stage", sa.String(length=10), False, True),
        ("cell_type", sa.String(length=20), False, True),
        ("veteran", sa.Boolean(), True, True),
        ("zip", sa.String(length=5), False, True),
    ],
    "case_matches": [
        ("distance_miles", sa.Float(), True, False),
        ("reasons", sa.JSON(), True, False),
        ("summary", sa.Text(), False, True),
    ],
}


def _seal(table: str, column: str, as_json: bool, value):
    if value is None:
        return None
    if as_json:
        if isinstance(value, str):  # SQLite hands JSON columns back as text
            value = json.loads(value)
        value = json.dumps(value, sort_keys=True)
    return crypto.encrypt(value, f"{table}.{column}")


def _open(table: str, column: str, as_json: bool, value):
    if value is None:
        return None
    plain = crypto.decrypt(bytes(value), f"{table}.{column}")
    return json.loads(plain) if as_json else plain


def _sealed(_plain_type):
    return sa.LargeBinary()


def _plain(plain_type):
    return plain_type


def _rewrite(table: str, old_type, new_type, convert) -> None:
    """Replace ``table``'s columns by ``new_type`` ones, each value carried through ``convert``."""
    columns = COLUMNS[table]
    names = [name for name, *_ in columns]
    bind = op.get_bind()
    source = sa.table(table, sa.column("id"), *(sa.column(n, old_type(t)) for n, t, *_ in columns))
    rows = bind.execute(sa.select(source.c.id, *(source.c[n] for n in names))).all()
    with op.batch_alter_table(table) as batch:
        for name in names:
            batch.drop_column(name)
    with op.batch_alter_table(table) as batch:
        for name, plain_type, _as_json, _nullable in columns:
            # added nullable, filled, then tightened: a NOT NULL column cannot be added empty
            batch.add_column(sa.Column(name, new_type(plain_type), nullable=True))
    target = sa.table(table, sa.column("id"), *(sa.column(n, new_type(t)) for n, t, *_ in columns))
    for row in rows:
        values = {
            name: convert(table, name, as_json, row[index + 1])
            for index, (name, _type, as_json, _nullable) in enumerate(columns)
        }
        bind.execute(sa.update(target).where(target.c.id == row[0]).values(**values))
    with op.batch_alter_table(table) as batch:
        for name, plain_type, _as_json, nullable in columns:
            if not nullable:
                batch.alter_column(name, existing_type=new_type(plain_type), nullable=False)


def upgrade():
    for table in COLUMNS:
        _rewrite(table, _plain, _sealed, _seal)


def downgrade():
    for table in COLUMNS:
        _rewrite(table, _sealed, _plain, _open)
