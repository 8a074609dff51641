"""Shared fixtures: real PostgreSQL and Redis, a fresh schema built by the migrations.

Each test runs inside a transaction that is rolled back (the app's own
commits become savepoints), so tests are independent and fast.  Tests marked
``committed`` really commit, for other connections and real workers to see,
and the tables are emptied after them.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FsaSession
from sqlalchemy import create_engine, text

# The server's `test` database is the maintenance connection; each pytest run works in
# its own database created from it, so two runs at once never drop each other's tables.
ADMIN_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
RUN_DATABASE = f"intake_test_{os.getpid()}"
TEST_DATABASE_URL = ADMIN_DATABASE_URL.rsplit("/", 1)[0] + "/" + RUN_DATABASE
# database 1, so a developer's own queue on database 0 is never purged by the tests
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
# fresh keys every run: no committed value works as a key (intake/config.py)
TEST_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()

# Settings are read from the environment by create_app; set them before any import of the app.
_instance = tempfile.mkdtemp(prefix="intake-test-instance-")
os.environ.update(
    {
        "DATABASE_URL": TEST_DATABASE_URL,
        "REDIS_URL": TEST_REDIS_URL,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATA_ENCRYPTION_KEY": TEST_KEY,
        "INTAKE_INSTANCE_PATH": _instance,
        "RATELIMIT_ENABLED": "false",
        "OUTBOX_PUBLISH_AFTER_COMMIT": "false",
        # the test client and the live servers speak plain HTTP on loopback
        "SESSION_COOKIE_SECURE": "false",
    }
)
# Celery lets CELERY_BROKER_URL in the environment override every app's own config,
# which would defeat tests that point one app at another broker.
os.environ.pop("CELERY_BROKER_URL", None)


@contextmanager
def kept_logging(handlers_on_exit: bool = True) -> Iterator[Callable[..., None]]:
    """Put the root logger's level and handlers back as they were, on exit and on call.

    Alembic's ``fileConfig`` (the migrations' env.py) and Celery's embedded worker
    (``start_worker`` sets the root logger to ERROR and clears its handlers) both
    reconfigure logging for the whole process; left alone, every later test, and
    the test that started the worker, would hear no application log line.  Across
    pytest phases (a fixture's setup to its teardown) pytest swaps its own capture
    handlers: there, ``handlers_on_exit=False`` leaves the handlers of the moment.
    """
    root = logging.getLogger()
    level, handlers, disabled = root.level, list(root.handlers), logging.root.manager.disable

    def restore(with_handlers: bool = True) -> None:
        root.setLevel(level)
        logging.disable(disabled)
        if with_handlers:
            root.handlers[:] = handlers

    try:
        yield restore
    finally:
        restore(handlers_on_exit)


def _admin(statement: str) -> None:
    url = ADMIN_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    """The app on the test database, schema built by ``intake db upgrade``'s code path."""
    from flask_migrate import upgrade

    from intake import create_app

    _admin(f'DROP DATABASE IF EXISTS "{RUN_DATABASE}"')
    _admin(f'CREATE DATABASE "{RUN_DATABASE}"')
    application = create_app({"TESTING": True})
    application.test_client_class = _FreshContextClient
    with application.app_context(), kept_logging():
        upgrade()  # the migrations themselves build the schema under test
    yield application
    with application.app_context():
        from intake.extensions import db

        db.engine.dispose()
    _admin(f'DROP DATABASE IF EXISTS "{RUN_DATABASE}" WITH (FORCE)')


class _FreshContextClient(FlaskClient):
    """Each request gets its own app context (and so its own ``g``), as in production.

    Without this a request made while a test holds an app context (the
    ``db_session`` fixture does) would share that context's ``g`` with every
    other request of the test, e.g. Flask-WTF's cached CSRF token.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


class _BoundSession(FsaSession):
    """Flask-SQLAlchemy's session, pinned to the test's connection."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.bind


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """A session inside a transaction rolled back after the test."""
    from intake import extensions
    from intake.extensions import db

    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {
                "class_": _BoundSession,
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
            }
        )

        @contextmanager
        def in_outer_transaction() -> Iterator[Any]:
            # the outer transaction must hold every write, so the public forms'
            # autocommitted INSERT joins it, in a savepoint a failure can undo
            with connection.begin_nested():
                yield connection

        original_autocommit = extensions.autocommit_connection
        original_transaction = extensions.transaction_on
        extensions.autocommit_connection = in_outer_transaction  # type: ignore[assignment]
        extensions.transaction_on = lambda _connection: in_outer_transaction()  # type: ignore[assignment]
        try:
            yield db.session
        finally:
            extensions.autocommit_connection = original_autocommit  # type: ignore[assignment]
            extensions.transaction_on = original_transaction  # type: ignore[assignment]
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def committed_db(app: Flask) -> Iterator[Any]:
    """The real session (commits are real); every intake table is emptied afterwards."""
    from intake.extensions import db

    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()
            tables = ", ".join(table.name for table in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def client(app: Flask, db_session: Any) -> FlaskClient:
    """A browser-like client whose writes are rolled back after the test."""
    return app.test_client()


@pytest.fixture(autouse=True)
def _reset_breaker() -> Iterator[None]:
    """Each test starts with the broker presumed up and its own announcing thread."""
    from intake import tasking

    tasking.reset_breaker()
    yield
    tasking.reset_breaker()
    tasking._relay_thread.restart()


_TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


def form_tokens(client: FlaskClient, path: str) -> dict[str, str]:
    """GET a form as a browser would and return its hidden CSRF token and submission key."""
    page = client.get(path).get_data(as_text=True)
    token, key = _TOKEN_RE.search(page), _KEY_RE.search(page)
    assert token and key, f"{path} did not render its hidden fields"
    return {"csrf_token": token.group(1), "submission_key": key.group(1)}


def submit(
    client: FlaskClient, path: str, data: dict[str, Any], process: bool = True, **overrides: Any
) -> Any:
    """Fill and POST a public form with a real CSRF token, as a person would.

    A received form is then processed as the worker would (``process_received``)
    unless ``process=False``: the web request itself only stores the sealed form.
    """
    payload = {**form_tokens(client, path), **data, **overrides}
    payload = {k: v for k, v in payload.items() if v is not None}
    response = client.post(path, data=payload)
    response.get_data()
    response.close()  # as a WSGI server does once the body is sent: runs call_on_close hooks
    if process and response.status_code == 303:
        assert process_received(client.application) == [], "a received form failed to process"
    return response


def process_received(app: Flask) -> list[int]:
    """Do what the worker's ``submissions.process`` task does with every unprocessed form.

    The same service call as the task (the real worker path has its own tests
    in ``tests/worker``); returns the ids that failed.
    """
    from sqlalchemy import select

    from intake.extensions import db
    from intake.models import Submission
    from intake.services.inbox import submissions

    with app.app_context():
        pending = select(Submission.id).where(Submission.processed_at.is_(None))
        ids = list(db.session.scalars(pending.order_by(Submission.id)))
        return submissions.process_many(db.session(), ids, relay=lambda _ids: None)


def field_errors(response: Any) -> list[str]:
    """The error messages shown next to fields on a re-rendered form."""
    html = response.get_data(as_text=True)
    return re.findall(
        r'class="field-error"[^>]*><span class="visually-hidden">Error:</span> (.*?)</p>', html
    )


GOOD_CALLBACK = {
    "first_name": "Maria",
    "last_name": "Lopez",
    "phone": "(212) 555-0143",
    "email": "maria.lopez@example.com",
    "relationship": "spouse_partner",
    "diagnosis_type": "pleural",
    "stage": "3",
    "zip": "10001",
    "veteran": "yes",
    "best_time": "morning",
    "language": "es",
    "consent_calls": "y",
    "email_fallback": "y",
}

GOOD_GUIDE = {
    "first_name": "Robert",
    "last_name": "O'Neil",
    "email": "Robert.ONeil@Example.com",
    "relationship": "self",
    "diagnosis_type": "peritoneal",
    "stage": "2",
    "veteran": "no",
    "topics": ["treatment", "financial"],
    "deliver_email": "y",
}


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A real SMTP server in this process, and the app sending to it."""
    from tests.smtp import SmtpSink

    sink = SmtpSink().start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", sink.port)
    monkeypatch.setitem(app.config, "LOCAL_MAILBOX", False)
    app.extensions.pop("mail_transport", None)
    try:
        yield sink
    finally:
        transport = app.extensions.pop("mail_transport", None)
        if transport is not None:
            transport.close()
        sink.stop()
