"""Claim next holds one call at a time (``MAX_OPEN_CLAIMS``), as the security review asked.

One advocate pressed claim-next six times and held seven leads with their
phones and emails; now the second press goes back to the queue with
"Finish or release your current call first.", and only a call back the
advocate arranged themselves, when due, is handed over past the cap.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from intake.models import QueueItem
from intake.models.base import utcnow
from intake.models.queue import RETRY
from intake.views.advocate.queue import FINISH_FIRST
from tests.services.queue.test_queue import ask
from tests.views.advocate.test_advocate import always_callable  # noqa: F401 (a fixture)
from tests.views.conftest import post_form


@pytest.fixture
def three_waiting(db_session):
    """Three people waiting for a call, callable for the last hour."""
    items = [ask(db_session) for _ in range(3)]
    for item in items:
        item.callable_from = utcnow() - timedelta(hours=1)
    db_session.flush()
    return items


def _press(client):
    return post_form(client, "/advocate/claim-next", token_from="/advocate/")


def _held_by(db_session, who) -> int:
    db_session.expire_all()
    return db_session.scalar(
        select(func.count()).select_from(QueueItem).where(
            QueueItem.status == "claimed", QueueItem.claimed_by_id == who.id
        )
    )  # fmt: skip


@pytest.mark.usefixtures("always_callable")
def test_a_second_press_goes_back_to_the_queue_until_the_first_call_is_released(
    client, db_session, login_as, three_waiting
):
    who = login_as("advocate")
    first = _press(client)
    assert first.status_code == 303 and "/advocate/leads/" in first.headers["Location"]
    for _ in range(5):  # the review's six presses
        again = _press(client)
        assert again.status_code == 303 and again.headers["Location"].endswith("/advocate/")
    assert _held_by(db_session, who) == 1
    html = client.get("/advocate/").get_data(as_text=True)
    assert FINISH_FIRST in html.replace("&#39;", "'")

    lead = urlsplit(first.headers["Location"]).path
    released = post_form(client, f"{lead}/release", token_from=lead)
    assert released.status_code == 303
    assert _held_by(db_session, who) == 0
    assert "/advocate/leads/" in _press(client).headers["Location"]  # free again: one more
    assert _held_by(db_session, who) == 1


@pytest.mark.usefixtures("always_callable")
def test_the_cap_comes_from_the_setting(app, client, db_session, login_as, three_waiting,
                                        monkeypatch):  # fmt: skip
    monkeypatch.setitem(app.config, "MAX_OPEN_CLAIMS", 2)
    who = login_as("advocate")
    assert "/advocate/leads/" in _press(client).headers["Location"]
    assert "/advocate/leads/" in _press(client).headers["Location"]
    assert _press(client).headers["Location"].endswith("/advocate/")
    assert _held_by(db_session, who) == 2


@pytest.mark.usefixtures("always_callable")
def test_my_own_call_back_that_is_due_is_still_handed_over_at_the_cap(
    client, db_session, login_as, three_waiting
):
    who = login_as("advocate")
    call_back = three_waiting[2]
    call_back.status, call_back.preferred_advocate_id, call_back.attempts = RETRY, who.id, 1
    call_back.callable_from = utcnow() + timedelta(hours=1)  # not due yet
    db_session.flush()
    held = _press(client)
    assert "/advocate/leads/" in held.headers["Location"]
    assert _press(client).headers["Location"].endswith("/advocate/")  # at the cap

    call_back.callable_from = utcnow() - timedelta(minutes=1)  # now it is due
    db_session.flush()
    taken = _press(client)
    assert taken.headers["Location"].endswith(f"/advocate/leads/{call_back.id}")
    assert _press(client).headers["Location"].endswith("/advocate/")  # nothing else
    assert _held_by(db_session, who) == 2
