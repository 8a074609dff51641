"""Key rotation: find the sealed columns, re-seal values with the current key, count by key.

Every query works on the raw bytes (a lightweight ``sa.table`` of
``LargeBinary`` columns, so no ORM type opens a value and no ``onupdate``
touches ``updated_at``).  A value still to re-seal is one whose first five
bytes are not the current key's header, a comparison PostgreSQL and SQLite
both run in SQL; so a rotation needs no state of its own and resumes where
it stopped.  Nothing here returns personal data: counts, key ids, row ids.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from intake import crypto
from intake.models import Base, Contact
from intake.models.base import Encrypted
from intake.services.people.contacts import email_hash, phone_hash

V1 = "format 1 (key not recorded)"  # census label of values from before key ids


@dataclass(frozen=True)
class SealedTable:
    """A table with sealed columns: its name, primary key and (column, GCM context) pairs."""

    name: str
    key: str
    columns: tuple[tuple[str, str], ...]

    @cached_property
    def raw(self) -> sa.TableClause:
        """The table as raw bytes (one object, so queries name one FROM): nothing opens values."""
        return sa.table(
            self.name,
            sa.column(self.key, sa.Integer),
            *(sa.column(name, sa.LargeBinary) for name, _ in self.columns),
        )


def sealed_tables() -> list[SealedTable]:
    """Every table of the schema holding ``Encrypted`` columns, in dependency order."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = tuple(
            (column.name, column.type.context)
            for column in table.columns
            if isinstance(column.type, Encrypted)
        )
        if not columns:
            continue
        if len(table.primary_key.columns) != 1:
            raise RuntimeError(f"{table.name}: key rotation needs a single-column primary key")
        found.append(SealedTable(table.name, table.primary_key.columns[0].name, columns))
    return found


def _header() -> ColumnElement[bytes]:
    return sa.literal(crypto.keys().current.header, sa.LargeBinary)


def _head(column: ColumnElement[bytes], length: int) -> ColumnElement[bytes]:
    return sa.func.substr(column, 1, length, type_=sa.LargeBinary)


def stale(table: SealedTable) -> ColumnElement[bool]:
    """Rows with a sealed value the current key did not seal."""
    raw = table.raw
    return sa.or_(
        *(
            sa.and_(raw.c[name].is_not(None), _head(raw.c[name], crypto.HEADER_BYTES) != _header())
            for name, _ in table.columns
        )
    )


def count_stale(session: Session, table: SealedTable) -> int:
    """How many of the table's rows still hold a value to re-seal."""
    query = sa.select(sa.func.count()).select_from(table.raw).where(stale(table))
    return session.scalar(query) or 0


@dataclass
class BatchResult:
    """What one batch did; ``last_id`` is where the next batch starts."""

    last_id: int | None = None
    rows: int = 0
    resealed: int = 0
    changed_meanwhile: int = 0
    unreadable: list[tuple[str, int]] = field(default_factory=list)


def reseal_batch(
    session: Session, table: SealedTable, after_id: int | None, size: int
) -> BatchResult:
    """Re-seal the stale values of up to ``size`` rows after ``after_id`` (None: from the start).

    Each row is updated only if its sealed values are still the bytes read
    (the app may change a row meanwhile): a rotation never undoes an edit.
    A value no configured key opens is left as it is and reported by row id.
    """
    raw, current = table.raw, crypto.keys().current.header
    key = raw.c[table.key]
    query = (
        sa.select(key, *(raw.c[name] for name, _ in table.columns))
        .where(stale(table), *([] if after_id is None else [key > after_id]))
        .order_by(key)
        .limit(size)
    )
    result = BatchResult()
    for row in session.execute(query).all():
        result.last_id, result.rows = row[0], result.rows + 1
        old: dict[str, bytes] = {}
        new: dict[str, bytes] = {}
        for (name, context), value in zip(table.columns, row[1:], strict=True):
            if value is None or bytes(value).startswith(current):
                continue
            try:
                new[name] = crypto.reseal(bytes(value), context)
            except crypto.UnreadableValue:
                result.unreadable.append((name, row[0]))
                continue
            old[name] = bytes(value)
        if not new:
            continue
        unchanged = [raw.c[name] == value for name, value in old.items()]
        update = sa.update(raw).where(key == row[0], *unchanged).values(new)
        if session.execute(update).rowcount:  # type: ignore[attr-defined]
            result.resealed += len(new)
        else:
            result.changed_meanwhile += 1
    session.flush()
    return result


def census(session: Session, table: SealedTable, column: str) -> Counter[str]:
    """How many values of one column each key sealed: 'current', 'old <id>', 'unknown <id>'."""
    raw = table.raw.c[column]
    version = _head(raw, 1)
    head = sa.case(
        (version == sa.literal(crypto.FORMAT_V2, sa.LargeBinary), _head(raw, crypto.HEADER_BYTES)),
        else_=version,
    ).label("head")
    query = sa.select(head, sa.func.count()).where(raw.is_not(None)).group_by(head)
    counts: Counter[str] = Counter()
    for value, number in session.execute(query).all():
        counts[_label(bytes(value))] += number
    return counts


def _label(head: bytes) -> str:
    ring = crypto.keys()
    if head == ring.current.header:
        return "current"
    if head == crypto.FORMAT_V1:
        return V1
    key_id = crypto.sealed_by(head)
    if key_id is None:
        return "unrecognised format"
    return f"{'old' if ring.by_id(key_id) else 'unknown'} {key_id.hex()}"


def check_lookup_hashes(session: Session, sample: int = 20) -> tuple[int, int]:
    """Recompute a few contacts' email and phone hashes: (checked, mismatched).

    A mismatch means ``DATA_HASH_KEY`` is not the key the stored hashes were
    made with, and look-ups are failing.  The opened values stay in memory.
    """
    rows = session.execute(
        sa.select(Contact.email, Contact.email_hash, Contact.phone, Contact.phone_hash)
        .where(sa.or_(Contact.email_hash.is_not(None), Contact.phone_hash.is_not(None)))
        .order_by(Contact.id.desc())
        .limit(sample)
    ).all()
    checked = mismatched = 0
    for email, stored_email, phone, stored_phone in rows:
        for value, stored, digest in (
            (email, stored_email, email_hash),
            (phone, stored_phone, phone_hash),
        ):
            if value and stored:
                checked += 1
                mismatched += digest(value) != stored
    return checked, mismatched
