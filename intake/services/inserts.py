"""INSERT ... ON CONFLICT DO NOTHING for the rows a double submit may race on.

A unique key decides who won without a savepoint (two extra round trips
each) and without aborting the transaction: the loser gets None and looks
the winner up.  PostgreSQL in production, SQLite in the embedded mode.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

Model = TypeVar("Model")

_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_if_absent(session: Session, model: type[Model], values: dict[str, Any]) -> Model | None:
    """Insert one row and return it as an ORM object, or None if a unique key already exists."""
    dialect = session.get_bind().dialect.name
    try:
        insert = _INSERTS[dialect]
    except KeyError:
        raise NotImplementedError(f"no ON CONFLICT insert for {dialect}") from None
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(model)
    return session.scalars(statement).first()
