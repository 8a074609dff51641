"""Unbound Flask extensions, bound to the app in create_app."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from flask import Flask, current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from intake import autocommit_pool
from intake.models.base import Base

babel = Babel()
db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


AUTOCOMMIT_ENGINE = "intake.autocommit_engine"


def init_autocommit_engine(app: Flask) -> None:
    """On PostgreSQL, the app's pool of autocommitting connections (``autocommit_pool.py``).

    The embedded SQLite mode has none: its one file is better served by one
    pool, switched to autocommit per checkout.
    """
    with app.app_context():
        main = db.engine
    if main.dialect.name == "postgresql":
        app.extensions[AUTOCOMMIT_ENGINE] = autocommit_pool.autocommit_engine(
            main, dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        )


def autocommit_connection() -> AbstractContextManager[Connection]:
    """A pooled connection on which each statement commits by itself.

    For a write that is one statement (a public form's sealed submission):
    no BEGIN and COMMIT round trips, and none of the ORM session's
    bookkeeping, which costs more than the INSERT on that hot path.
    """
    engine = current_app.extensions.get(AUTOCOMMIT_ENGINE)
    if engine is not None:
        return engine.connect()  # type: ignore[no-any-return]
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def transaction_on(connection: Connection) -> Iterator[Connection]:
    """One transaction on a request's autocommit connection: committed when the block ends,
    else rolled back; the connection autocommits again afterwards.

    For a few writes that must stand or fall together (a partner lead and
    the answer kept for its Idempotency-Key) in one commit, on the
    connection the request already holds: a second checkout from the pool
    would cost its own round trip (the pool's ping) for nothing.
    """
    if connection.in_transaction():  # SQLAlchemy's autobegun one: nothing is open on the server
        connection.commit()
    connection.execution_options(isolation_level=connection.default_isolation_level)
    try:
        with connection.begin():
            yield connection
    finally:
        connection.execution_options(isolation_level="AUTOCOMMIT")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    """Embedded mode: web and worker share one SQLite file, so use WAL and enforce FKs."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
