"""Two submissions racing on real, committed PostgreSQL transactions: still one person, one lead.

Each thread has its own test client, so its own request, app context and
database session, exactly like two gunicorn workers.  With ``forced`` both
threads are held at a rendezvous right after their first contact look-up, so
both have seen "nobody there yet" before either writes: the worst interleaving,
every run.
"""

from __future__ import annotations

import threading
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from intake.models import CallbackRequest, Contact, OutboxMessage
from intake.services import contacts, leads
from tests.conftest import GOOD_CALLBACK, form_tokens

pytestmark = pytest.mark.committed


def _rendezvous(monkeypatch, module, name):
    """Hold each thread after its first call of ``module.name`` until the other arrives too.

    Returns a list that records a missed meeting, so a refactor that stops
    calling the hook fails the test clearly instead of quietly not racing.
    """
    original = getattr(module, name)
    barrier = threading.Barrier(2, timeout=10)
    seen, missed = threading.local(), []

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        if not getattr(seen, "done", False):
            seen.done = True
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                missed.append(name)
        return result

    monkeypatch.setattr(module, name, wrapper)
    return missed


def _tokens(app, client):
    """The form's hidden fields, fetched in a fresh app context.

    The ``committed_db`` fixture keeps an app context pushed, and a request
    reuses a pushed context, so without this every GET would share one
    ``flask.g``, where Flask-WTF caches the CSRF token of the first client.
    """
    with app.app_context():
        return form_tokens(client, "/callback")


def _post_at_once(clients, payloads):
    """POST /callback from every client at the same moment; return the responses."""
    start = threading.Barrier(len(clients), timeout=10)
    responses, errors = [None] * len(clients), []

    def run(i):
        try:
            start.wait()
            responses[i] = clients[i].post("/callback", data=payloads[i])
        except BaseException as exc:  # surfaced below: a thread must not fail silently
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a submission hung (deadlock?)"
    assert not errors, errors
    return responses


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _queue_jobs(session):
    return _count(session, OutboxMessage, OutboxMessage.task_name == leads.TASK_QUEUE_CALLBACK)


@pytest.mark.parametrize("forced", [True, False], ids=["forced-race", "natural"])
def test_a_double_submit_racing_itself_is_one_request(app, committed_db, monkeypatch, forced):
    now = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now)
    missed = _rendezvous(monkeypatch, contacts, "find_contact") if forced else []
    first, second = app.test_client(), app.test_client()
    tokens = _tokens(app, first)
    second.set_cookie("session", first.get_cookie("session").value)  # the same browser
    payload = {**GOOD_CALLBACK, **tokens}

    responses = _post_at_once([first, second], [payload, payload])
    assert not missed, "the race was not forced: both threads must meet after their look-up"

    assert [r.status_code for r in responses] == [303, 303]
    assert responses[0].headers["Location"] == responses[1].headers["Location"]
    committed_db.expire_all()
    request = committed_db.scalars(select(CallbackRequest)).one()
    assert request.submission_key == tokens["submission_key"]
    assert request.times_requested == 1  # a double click is not a second ask
    assert _count(committed_db, Contact) == 1
    assert _queue_jobs(committed_db) == 1
    assert first.get(responses[1].headers["Location"]).status_code == 200


@pytest.mark.parametrize("forced", [True, False], ids=["forced-race", "natural"])
def test_two_people_racing_with_the_same_email_are_one_contact(
    app, committed_db, monkeypatch, forced
):
    missed = _rendezvous(monkeypatch, contacts, "find_contact") if forced else []
    clients = [app.test_client(), app.test_client()]
    payloads = [{**GOOD_CALLBACK, **_tokens(app, client)} for client in clients]
    payloads[1]["phone"] = "212-555-0188"  # same email, a different phone
    assert payloads[0]["submission_key"] != payloads[1]["submission_key"]

    responses = _post_at_once(clients, payloads)
    assert not missed, "the race was not forced: both threads must meet after their look-up"

    assert [r.status_code for r in responses] == [303, 303]
    committed_db.expire_all()
    contact = committed_db.scalars(select(Contact)).one()
    assert contact.email == "maria.lopez@example.com"
    request = committed_db.scalars(select(CallbackRequest)).one()
    assert (request.contact_id, request.times_requested) == (contact.id, 2)
    assert _queue_jobs(committed_db) == 1


def test_many_different_people_at_once_are_all_stored(app, committed_db):
    clients = [app.test_client() for _ in range(6)]
    payloads = []
    for i, client in enumerate(clients):
        person = {"phone": f"212-555-01{i:02d}", "email": f"person{i}@example.com"}
        payloads.append({**GOOD_CALLBACK, **_tokens(app, client), **person})

    responses = _post_at_once(clients, payloads)

    assert [r.status_code for r in responses] == [303] * 6
    committed_db.expire_all()
    assert _count(committed_db, Contact) == 6
    assert _count(committed_db, CallbackRequest) == 6 and _queue_jobs(committed_db) == 6
