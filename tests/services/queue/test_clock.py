"""Speed to lead counts from what we promised: the console, the alert, the dashboard, metrics.

Issue 24: after one advocate got a 09:00 shift, a New York caller at 8:46 AM
was told "after 9:00 AM", yet at 8:51 she was marked late, the admins were
emailed and the dashboard counted a breach.  The clock starts at the later
of the request and the promised time (``QueueItem.clock_from``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from intake import calling
from intake.dashboard.figures import DayRange
from intake.models import CallAttempt, OutboxMessage, QueueItem, StaffAlert
from intake.queueing import shifts
from intake.services.inbox import leads
from intake.services.ops import dashboard, metrics
from intake.services.people.contacts import CaseFacts, Person
from intake.services.queue import claims, queue, sla, waiting
from intake.services.staff import auth

NY = ZoneInfo("America/New_York")
ASKED = datetime(2026, 12, 1, 8, 46, tzinfo=NY)  # a Tuesday
NINE = datetime(2026, 12, 1, 9, 0, tzinfo=NY)
PLACE = calling.place_for("NY", "America/New_York", "10001")


@pytest.fixture
def nine_oclock_team(db_session):
    """One advocate whose shift starts at 9:00 Eastern, and an admin to alert."""
    auth.create_user(db_session, "boss@staff.example.org", "admin", "a long admin password")
    who = auth.create_user(
        db_session, "early@staff.example.org", "advocate", "a long advocate password"
    )
    who.shifts, who.timezone = [shifts.parse_line("Mon-Fri 09:00-17:00")], "America/New_York"
    db_session.flush()
    return who


def _ask(session, now=ASKED) -> QueueItem:
    """A New York caller asks at ``now``; the queue job runs at once."""
    form = leads.CallbackSubmission(
        submission_key=str(uuid.uuid4()),
        person=Person(first_name="Dana", email="dana@example.com", phone="+12125550188"),
        case=CaseFacts(
            relationship="self",
            zip="10001",
            state="NY",
            timezone="America/New_York",
            diagnosis_type="pleural",
        ),  # fmt: skip
        best_time="asap",
        language="en",
        email_fallback=False,
    )
    request = leads.submit_callback_request(session, form, leads.Receipt(at=now)).request
    request.created_at = now
    session.flush()
    return queue.enqueue(session, request, now=now.astimezone(UTC))


def _breaches(session, now: datetime) -> int:
    days = DayRange.ending(date(2026, 12, 1), 1, NY)
    return sum(dashboard.build(session, days, now.astimezone(UTC)).breaches)


def _metric(session, app) -> str:
    text = metrics.exposition(session, app.config).decode()
    return next(line for line in text.splitlines() if line.startswith("intake_sla_breaches_total"))


def test_a_call_promised_after_nine_is_not_late_before_nine_oh_five(
    app, db_session, nine_oclock_team
):
    said = waiting.expectation(db_session, PLACE, "asap", ASKED.astimezone(UTC))
    assert "today after 9:00 AM your time" in said
    item = _ask(db_session)
    assert item.callable_from == ASKED  # the rules allow a call at once
    for moment in (ASKED + timedelta(minutes=5), NINE + timedelta(minutes=4)):  # 8:51, 9:04
        now = moment.astimezone(UTC)
        assert sla.late_now(db_session, now) == 0  # the console's banner
        assert sla.check(db_session, now) == 0  # beat: no breach stamped, no alert owed
        assert _breaches(db_session, now) == 0
        day = DayRange.ending(date(2026, 12, 1), 1, NY)
        assert dashboard.build(db_session, day, now).late_now == 0
    assert db_session.scalar(select(func.count()).select_from(StaffAlert)) == 0
    assert _metric(db_session, app).endswith(" 0.0")
    # ... because the clock starts when we said the call could come
    assert item.clock_from == NINE
    assert not queue.is_late(item, (NINE + timedelta(minutes=4)).astimezone(UTC))
    assert queue.priority_words(item, ASKED.astimezone(UTC)).startswith("due in 19 min")

    five_past = (NINE + timedelta(minutes=5)).astimezone(UTC)
    assert sla.late_now(db_session, five_past) == 1 and queue.is_late(item, five_past)
    assert sla.check(db_session, five_past) == 1
    assert item.sla_breached_at == five_past and _breaches(db_session, five_past) == 1
    assert db_session.scalars(
        select(OutboxMessage.task_name).where(OutboxMessage.task_name == sla.TASK_ALERT)
    ).one()
    assert _metric(db_session, app).endswith(" 1.0")


def test_the_dashboards_wait_to_the_first_call_counts_from_the_promise(
    db_session, nine_oclock_team
):
    item = _ask(db_session)
    called = (NINE + timedelta(minutes=3)).astimezone(UTC)  # 17 min after asking, 3 after 9:00
    claims.claim_next(db_session, nine_oclock_team, called)
    db_session.add(CallAttempt(queue_item_id=item.id, advocate_id=nine_oclock_team.id,
                               phone_hash=item.phone_hash, started_at=called,
                               outcome="reached"))  # fmt: skip
    db_session.flush()
    [day] = dashboard.build(db_session, DayRange.ending(date(2026, 12, 1), 1, NY), called).delays
    assert (day.calls, day.median, day.over_target) == (1, 3.0, 0)


def test_with_no_shifts_the_clock_starts_when_the_staffed_hours_begin(db_session):
    auth.create_user(db_session, "adv@staff.example.org", "advocate", "a long advocate password")
    item = _ask(db_session, now=datetime(2026, 12, 1, 7, 50, tzinfo=NY))  # before 8:00
    assert item.clock_from == datetime(2026, 12, 1, 8, 0, tzinfo=NY)


def test_a_caller_who_asks_again_keeps_the_first_promise(db_session, nine_oclock_team):
    item = _ask(db_session)
    request = item.callback_request
    queue.refresh(db_session, item, request, (NINE + timedelta(minutes=20)).astimezone(UTC))
    assert item.clock_from == NINE  # asking again does not reset how late the call is
