"""Two people's requests for one number queued at the same moment: one call, and the other
request rides on it (the demo's worker once failed the second with NoResultFound)."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from intake.models import CallbackRequest, QueueItem
from intake.services.inbox import leads
from intake.services.people.contacts import CaseFacts, Person
from intake.services.queue import queue
from tests.services.queue.test_queue import MONDAY_10_NY

pytestmark = pytest.mark.committed


def _request(session, name: str, email: str) -> int:
    form = leads.CallbackSubmission(
        submission_key=str(uuid.uuid4()),
        person=Person(first_name=name, email=email, phone="+12125550177"),
        case=CaseFacts(
            relationship="self",
            zip="10001",
            state="NY",
            timezone="America/New_York",
            diagnosis_type="pleural",
        ),  # fmt: skip
        best_time="asap",
        language="en",
    )
    return int(
        leads.submit_callback_request(session, form, leads.Receipt(at=MONDAY_10_NY)).request.id
    )


def test_two_requests_for_one_number_at_once_make_one_item(app, committed_db):
    from intake.extensions import db

    first = _request(committed_db, "Ruth", "ruth@example.com")
    second = _request(committed_db, "Mallory", "mallory@example.net")
    committed_db.commit()
    engine = create_engine(db.engine.url, pool_size=2, max_overflow=0)
    inserted = threading.Event()
    errors: list[BaseException] = []

    def holder() -> None:  # queues the first and keeps its transaction open a moment
        try:
            with app.app_context(), Session(engine) as session:
                queue.enqueue(session, session.get(CallbackRequest, first), MONDAY_10_NY)
                inserted.set()
                threading.Event().wait(1.0)
                session.commit()
        except BaseException as exc:
            errors.append(exc)
            inserted.set()

    thread = threading.Thread(target=holder)
    thread.start()
    inserted.wait(10)
    with Session(engine) as session:  # blocks on the unique index until the first commits
        request = session.get(CallbackRequest, second)
        item_id = queue.enqueue(session, request, MONDAY_10_NY).id
        session.commit()
        joined = request.joined_item_id
    thread.join(10)
    engine.dispose()
    assert not errors, errors
    committed_db.expire_all()
    items = committed_db.scalars(select(QueueItem)).all()
    assert len(items) == 1 and item_id == items[0].id
    assert items[0].callback_request_id == first and joined == items[0].id
