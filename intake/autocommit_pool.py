"""The pool of autocommitting PostgreSQL connections the one-statement writes use.

A public form's sealed submission is one INSERT, and the partner API and
the staff session check write as little: on the app's main pool each of
them paid, per request, a ping round trip (``pool_pre_ping``) and a switch
of the connection to autocommit and back, which together cost more CPU than
the INSERT they guard (about 150 us of a 1.8 ms request, measured).  Here
the connections are born autocommitting, and a dead one is found without a
round trip: an idle connection has nothing to read, so a socket that is
readable means the server sent its goodbye (a restart, ``pg_terminate_backend``,
an idle timeout: each sends an error and closes) and the pool replaces it.

The main pool keeps its ping: the ORM's sessions and transactions live
there, and nothing on it is as hot.
"""

from __future__ import annotations

import select
import sqlite3
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError


def server_closed(dbapi_connection: Any) -> bool:
    """True when a pooled, idle psycopg connection can no longer be used.

    The server's last words (an error, then the end of the stream) make the
    socket readable; an idle connection that is healthy has nothing to read.
    A connection that merely received a notice is replaced too: that costs a
    new connection, never a failed request.
    """
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    try:
        socket = dbapi_connection.pgconn.socket
    except Exception:  # psycopg refuses a connection whose socket is gone
        return True
    waiting = select.poll()  # not select(): it cannot watch a descriptor past 1023
    waiting.register(socket, select.POLLIN | select.POLLPRI)
    return bool(waiting.poll(0))


def autocommits(connection: Connection) -> bool:
    """Whether each statement on ``connection`` commits by itself, as the driver has it.

    Asked of the driver, not of SQLAlchemy's execution options: this pool's
    connections are born autocommitting, so no option on them says so.
    """
    raw = connection.connection.dbapi_connection
    if isinstance(raw, sqlite3.Connection):
        return raw.isolation_level is None
    return bool(getattr(raw, "autocommit", False))


def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A ``checkout`` hook: SQLAlchemy discards a connection it raises on and takes another."""
    if server_closed(dbapi_connection):
        raise DisconnectionError("the server closed this pooled connection while it was idle")


def autocommit_engine(main: Engine, options: dict[str, Any]) -> Engine:
    """An engine on ``main``'s database whose connections autocommit, checked without a ping.

    ``options`` are the main engine's (pool sizes, timeouts, hidden
    parameters); disposing the main engine disposes this one as well, so
    whoever closes the app's connections closes these too.
    """
    settings = {key: value for key, value in options.items() if key != "pool_pre_ping"}
    engine = create_engine(main.url, isolation_level="AUTOCOMMIT", **settings)
    event.listen(engine, "checkout", _refuse_closed)
    event.listen(main, "engine_disposed", lambda _main: engine.dispose())
    return engine
