"""Who may open a lead: the holder works it, an advocate reads their own call back ahead of
time, and anyone else gets our own page that says why and leads back to the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.models import AuditEvent
from intake.models.base import utcnow
from intake.services.queue import lead_access
from tests.views.advocate.test_advocate import always_callable, queued  # noqa: F401 (fixtures)
from tests.views.conftest import make_user, post_form

FRAMEWORK = ("Forbidden", "You don't have the permission", "The server could not")


def _call_back(item, advocate, due_in: timedelta) -> None:
    """``item`` becomes a call back ``advocate`` arranged, due ``due_in`` from now."""
    item.status, item.attempts = "retry_scheduled", 1
    item.preferred_advocate_id = advocate.id
    item.callable_from = utcnow() + due_in


def _refused(response, says: str) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "This call is not yours to open" in html and says in html
    assert 'href="/advocate/"' in html and "Back to the queue" in html
    for text in FRAMEWORK:
        assert text not in html
    return html


def test_an_unclaimed_lead_says_why_and_leads_back_to_the_queue(client, login_as, queued):  # noqa: F811
    login_as("advocate")
    _refused(client.get(f"/advocate/leads/{queued.id}"), "Nobody has claimed this call yet")


def test_a_lead_someone_else_holds_says_so(client, db_session, login_as, queued):  # noqa: F811
    other = make_user(db_session, "advocate", "other@staff.example.org")
    queued.status, queued.claimed_by_id = "claimed", other.id
    queued.lease_expires_at = utcnow() + timedelta(minutes=20)
    db_session.flush()
    login_as("advocate")
    _refused(client.get(f"/advocate/leads/{queued.id}"), "Another advocate is working this call")


def test_my_call_back_before_it_is_due_opens_read_only_and_audited(
    client,
    db_session,
    login_as,
    queued,  # noqa: F811
):
    advocate = login_as("advocate")
    _call_back(queued, advocate, timedelta(hours=3))
    db_session.flush()
    assert f'href="/advocate/leads/{queued.id}"' in client.get("/advocate/callbacks").text

    page = client.get(f"/advocate/leads/{queued.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Read only: your call back is due" in html and "their time" in html
    assert "(212) 555-0143" in html  # everything to prepare the call
    assert "Save the outcome" not in html and "data-renew" not in html
    assert "give it back to the queue" not in html and "Link them" not in html
    event = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "lead.view" and event.detail == {"mode": "read_only"}
    db_session.refresh(queued)
    assert queued.status == "retry_scheduled" and queued.claimed_by_id is None

    logged = post_form(client, f"/advocate/leads/{queued.id}/outcome",
                       {"outcome": "no_answer"}, token_from="/advocate/")  # fmt: skip
    _refused(logged, "not due yet")
    db_session.refresh(queued)
    assert queued.attempts == 1 and queued.status == "retry_scheduled"


def test_my_call_back_once_due_is_claimed_not_opened(client, db_session, login_as, queued):  # noqa: F811
    advocate = login_as("advocate")
    _call_back(queued, advocate, -timedelta(minutes=1))
    db_session.flush()
    _refused(client.get(f"/advocate/leads/{queued.id}"), "it is due now")


@pytest.mark.parametrize(
    ("status", "preferred", "claimed", "due_in", "mode", "reason"),
    [
        ("claimed", "me", "me", 0, "work", ""),
        ("claimed", None, "other", 0, "refused", "claimed_by_other"),
        ("queued", None, None, 0, "refused", "unclaimed"),
        ("retry_scheduled", "me", None, 60, "read_only", ""),
        ("retry_scheduled", "me", None, -1, "refused", "due_now"),
        ("retry_scheduled", "other", None, 60, "refused", "others_call_back"),
        ("completed", "me", None, 60, "refused", "closed"),
    ],
)
def test_access_rules(status, preferred, claimed, due_in, mode, reason):
    from intake.models import QueueItem, User

    me = User(id=1, role="advocate")
    ids = {"me": 1, "other": 2, None: None}
    now = utcnow()
    due = now + timedelta(minutes=due_in)
    item = QueueItem(status=status, preferred_advocate_id=ids[preferred],
                     claimed_by_id=ids[claimed], callable_from=due)  # fmt: skip
    verdict = lead_access.access_for(item, me, now)
    assert (verdict.mode, verdict.reason) == (mode, reason)
    assert lead_access.access_for(item, User(id=3, role="admin"), now).mode == "work"
