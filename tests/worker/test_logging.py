"""A real worker leaves logging as it found it: its own lines and everyone's after it are heard.

Celery's embedded worker (``start_worker``) sets the root logger to ERROR and
clears its handlers, pytest's capture among them; the ``running_worker``
fixture puts both back.  Without that, the canary tests' "the run did log"
controls and any test reading ``caplog`` after a worker test hear nothing.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from intake.models import CallbackRequest
from tests.conftest import GOOD_CALLBACK, submit
from tests.worker.conftest import drain, running_worker

pytestmark = pytest.mark.committed

# a logger of the application whose level comes from the root logger (no set_level on it)
LATER = logging.getLogger("worker.tasks.heard_later")


def _queued(session) -> CallbackRequest | None:
    session.expire_all()
    request = session.scalars(select(CallbackRequest)).one_or_none()
    return request if request is not None and request.status == "queued" else None


def test_the_workers_application_lines_are_heard_and_later_ones_too(app, committed_db, caplog):
    caplog.set_level(logging.INFO, logger="intake")
    root = logging.getLogger()
    level = root.level
    assert submit(app.test_client(), "/callback", GOOD_CALLBACK).status_code == 303
    with running_worker(app):
        assert caplog.handler in root.handlers and root.level == level
        request = drain(app, lambda: _queued(committed_db), timeout=30)
    line = f"callback request {request.id} queued as item "
    heard = [r for r in caplog.records if r.name == "intake.services.inbox.callbacks"]
    assert any(r.getMessage().startswith(line) for r in heard), [r.getMessage() for r in heard]
    assert any(r.threadName != "MainThread" for r in heard)  # logged by the worker's thread

    LATER.warning("heard after the worker stopped")
    assert root.level == level
    assert "heard after the worker stopped" in caplog.messages


def test_a_later_test_hears_a_warning_without_asking(caplog):
    """Runs after the worker test above (pytest keeps the file's order)."""
    LATER.warning("heard in a later test")
    assert caplog.messages == ["heard in a later test"]
