"""The autocommitting pool (``intake/autocommit_pool.py``) on real PostgreSQL.

It checks its connections without a ping, so these tests show what the
ping was for still holds: a connection the server closed while it sat in
the pool is found and replaced before a form's INSERT runs on it, and the
person who pressed "send" gets the confirmation, not "please press again".
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, func, select, text

from intake import autocommit_pool
from intake.extensions import AUTOCOMMIT_ENGINE, db
from intake.models import Submission
from tests.conftest import GOOD_CALLBACK, form_tokens

pytestmark = pytest.mark.committed


@pytest.fixture(autouse=True)
def _one_connection(app):
    """Each test starts from an empty pool, so "the pooled connection" is one connection."""
    app.extensions[AUTOCOMMIT_ENGINE].dispose()


def _pooled(app):
    """The one connection the autocommit pool holds after a checkout: its backend and driver
    connection."""
    engine = app.extensions[AUTOCOMMIT_ENGINE]
    with engine.connect() as connection:
        pid = connection.execute(text("select pg_backend_pid()")).scalar()
        raw = connection.connection.dbapi_connection
    assert engine.pool.checkedin() == 1
    return pid, raw


def _terminate(app, pid):
    """End a backend from another connection, as a restart or an idle timeout would, and wait
    until its goodbye has reached the pooled socket."""
    with app.app_context(), db.engine.connect() as other:
        assert other.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with app.app_context(), db.engine.connect() as other:
            gone = not other.execute(
                text("select count(*) from pg_stat_activity where pid = :pid"), {"pid": pid}
            ).scalar()
        if gone:
            return
        time.sleep(0.02)
    raise AssertionError(f"backend {pid} was not terminated")


def test_a_healthy_idle_connection_is_kept(app, committed_db):
    pid, raw = _pooled(app)
    assert not autocommit_pool.server_closed(raw)
    again, _ = _pooled(app)
    assert again == pid  # the same connection served twice: no needless reconnect


def test_a_connection_the_server_closed_is_seen_without_a_round_trip(app, committed_db):
    pid, raw = _pooled(app)
    _terminate(app, pid)
    assert autocommit_pool.server_closed(raw)
    replaced, _ = _pooled(app)
    assert replaced != pid


def test_connections_autocommit_and_can_still_hold_a_transaction(app, committed_db):
    from intake.extensions import autocommit_connection, transaction_on

    with app.app_context(), autocommit_connection() as connection:
        assert connection.connection.dbapi_connection.autocommit
        with transaction_on(connection):
            level = connection.execute(text("show transaction_isolation")).scalar()
            open_xact = connection.execute(text("select txid_current()")).scalar()
            assert open_xact == connection.execute(text("select txid_current()")).scalar()
        assert level == "read committed"
        assert connection.connection.dbapi_connection.autocommit  # back to autocommitting


def test_a_form_sent_after_the_server_closed_the_pooled_connection_is_saved(app, committed_db):
    client = app.test_client()
    with app.app_context():
        first = client.post("/callback", data={**GOOD_CALLBACK, **form_tokens(client, "/callback")})
    assert first.status_code == 303
    pid, _ = _pooled(app)  # the connection the next form would be written on
    _terminate(app, pid)

    with app.app_context():
        second = client.post(
            "/callback", data={**GOOD_CALLBACK, **form_tokens(client, "/callback")}
        )
    assert second.status_code == 303, "a closed pooled connection cost a person their form"
    committed_db.expire_all()
    assert committed_db.scalar(select(func.count()).select_from(Submission)) == 2


def test_disposing_the_app_engine_closes_the_autocommit_pool(app, committed_db):
    _, raw = _pooled(app)
    with app.app_context():
        db.engine.dispose()
    assert raw.closed


def test_the_check_is_what_replaces_the_connection(app, committed_db):
    """Without the check the INSERT meets the dead connection: the control for the tests above."""
    engine = app.extensions[AUTOCOMMIT_ENGINE]
    event.remove(engine, "checkout", autocommit_pool._refuse_closed)
    try:
        pid, _ = _pooled(app)
        _terminate(app, pid)
        client = app.test_client()
        with app.app_context():
            response = client.post(
                "/callback", data={**GOOD_CALLBACK, **form_tokens(client, "/callback")}
            )
        assert response.status_code == 503
    finally:
        event.listen(engine, "checkout", autocommit_pool._refuse_closed)
