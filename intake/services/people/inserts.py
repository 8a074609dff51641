"""INSERT ... ON CONFLICT DO NOTHING for the rows a double submit may race on.

A unique key decides who won without a savepoint (two extra round trips
each) and without aborting the transaction: the loser gets None and looks
the winner up.  PostgreSQL in production, SQLite in the embedded mode.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

Model = TypeVar("Model")

_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _insert_for(dialect: str) -> Any:
    """The dialect's ``insert`` construct that has ``on_conflict_do_nothing``."""
    try:
        return _INSERTS[dialect]
    except KeyError:
        raise NotImplementedError(f"no ON CONFLICT insert for {dialect}") from None


def insert_if_absent(session: Session, model: type[Model], values: dict[str, Any]) -> Model | None:
    """Insert one row and return it as an ORM object, or None if a unique key already exists."""
    insert = _insert_for(session.get_bind().dialect.name)
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(model)
    return session.scalars(statement).first()


def insert_all_if_absent(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert many rows in one statement, skipping each whose unique key already exists."""
    insert = _insert_for(session.get_bind().dialect.name)
    session.execute(insert(model.__table__).on_conflict_do_nothing(), rows)


def insert_id_if_absent(
    connection: Connection, model: type[Any], values: dict[str, Any]
) -> int | None:
    """Like ``insert_if_absent`` but returns only the new id, through Core on a connection.

    For the hot path of a public form: no ORM session or object (nothing to
    load back or decrypt), and the statement is built once per table.
    """
    statement = _id_inserts.get((connection.dialect.name, model))
    if statement is None:
        table = model.__table__
        insert = _insert_for(connection.dialect.name)
        statement = insert(table).on_conflict_do_nothing().returning(table.c.id)
        _id_inserts[(connection.dialect.name, model)] = statement
    return connection.execute(statement, values).scalar()


_id_inserts: dict[tuple[str, type[Any]], Any] = {}
