"""The dashboard's figures read from PostgreSQL, against a small hand-made week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from intake.dashboard import panels
from intake.dashboard.figures import DayRange
from intake.models import (
    CallAttempt,
    CallbackRequest,
    Contact,
    EmailDelivery,
    QueueItem,
    Submission,
)
from intake.services.ops import dashboard

NY = ZoneInfo("America/New_York")
DAYS = DayRange(date(2026, 11, 23), date(2026, 11, 24), NY)
NOW = datetime(2026, 11, 24, 20, tzinfo=UTC)  # 3 PM in New York on the 24th
_ids = count(1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _submission(session, form: str, received: datetime) -> None:
    session.add(Submission(form=form, submission_key=f"k{next(_ids)}", received_at=received))


def _item(session, requested, status="queued", attempts=(), closed=None, breached=None):
    """A callback request's queue item with its attempts ((minutes after request, outcome))."""
    n = next(_ids)
    contact = Contact(first_name="Zebulon", phone=f"+1212555{n:04d}", phone_hash=f"p{n}")
    session.add(contact)
    session.flush()
    request = CallbackRequest(submission_key=f"cb{n}", contact_id=contact.id, created_at=requested)
    session.add(request)
    session.flush()
    item = QueueItem(
        callback_request_id=request.id, contact_id=contact.id, phone_hash=f"p{n}",
        consent_hash="c", status=status, requested_at=requested, created_at=requested,
        callable_from=requested, closed_at=closed, sla_breached_at=breached,
        attempts=len(attempts),
    )  # fmt: skip
    session.add(item)
    session.flush()
    for minutes, outcome in attempts:
        started = requested + timedelta(minutes=minutes)
        session.add(CallAttempt(queue_item_id=item.id, phone_hash=f"p{n}", started_at=started,
                                outcome=outcome))  # fmt: skip
    session.flush()
    return contact


def _email(session, contact, status, created):
    session.add(EmailDelivery(contact_id=contact.id, purpose="guide", request_id=next(_ids),
                              to_hash="h", status=status, created_at=created))  # fmt: skip


@pytest.fixture
def week(db_session):
    """Two days of activity, and some outside them that must not count."""
    for received in (at(23, 15), at(23, 16), at(24, 3), at(24, 15), at(23, 4)):
        _submission(db_session, "guide", received)  # 4 AM UTC on the 23rd is the 22nd in NY
    _submission(db_session, "callback", at(23, 17))
    a = _item(db_session, at(23, 14), "completed", [(2, "reached"), (30, "reached")],
              closed=at(23, 14, 40))  # fmt: skip
    _item(db_session, at(23, 15), "retry_scheduled", [(10, "no_answer"), (60, "left_voicemail")],
          breached=at(23, 15, 5))  # fmt: skip
    _item(db_session, at(24, 13, 1), "cancelled", [(4, "do_not_call")], closed=at(24, 13, 5))
    _item(db_session, at(24, 19))  # waiting, past the target now
    _item(db_session, at(24, 19, 30), "claimed")
    _item(db_session, at(22, 15), "completed", [(1, "reached")], closed=at(22, 16))  # before
    for status, created in (("sent", at(23, 15)), ("sent", at(23, 18)), ("failed", at(24, 15)),
                            ("suppressed", at(24, 16)), ("pending", at(24, 17))):  # fmt: skip
        _email(db_session, a, status, created)
    db_session.flush()
    return dashboard.build(db_session, DAYS, now=NOW)


def test_requests_per_day_by_form(week):
    assert week.requests == {"guide": [3, 1], "callback": [1, 0]}


def test_time_to_first_call_median_and_p90(week):
    first, second = week.delays
    assert (first.calls, first.median, first.over_target) == (2, 6.0, 1)
    assert first.p90 == pytest.approx(9.2)  # waits of 2 and 10 minutes
    assert (second.calls, second.median, second.p90) == (1, 4.0, 4.0)
    assert week.target_minutes == 5.0


def test_contact_rate_counts_requests_where_we_spoke_with_the_person(week):
    assert [(d.requests, d.called, d.spoke, d.rate) for d in week.contact] == [
        (2, 2, 1, 50.0),
        (3, 1, 1, 100.0),  # "asked not to be called" was said to us by the person
    ]
    total = week.contact_total
    assert (total.requests, total.called, total.spoke, total.rate) == (5, 3, 2, 66.7)


def test_queue_now_by_status_and_late_first_calls(week):
    assert week.queue_now == {"queued": 1, "claimed": 1, "retry_scheduled": 1}
    assert week.late_now == 1


def test_queue_depth_through_the_last_day_up_to_now(week):
    assert week.depth_day == date(2026, 11, 24)
    assert [h.hour for h in week.depth_hours] == list(range(16))  # midnight to 3 PM
    assert week.depth == [1] * 14 + [2, 3]


def test_emails_and_breaches_per_day(week):
    assert week.emails == {"sent": [2, 0], "failed": [0, 1], "suppressed": [0, 1]}
    assert week.breaches == [1, 0]


def test_partner_leads_have_no_source_yet(week):
    assert week.partners.sources == () and week.partners.by_partner == {}


def test_every_panel_draws_from_the_figures(week):
    assert sum(b.height > 0 for b in panels.requests_chart(week).bars) == 3
    delay = panels.delay_chart(week)
    assert delay.target is not None and len(delay.dots) == 4
    assert len(panels.depth_chart(week).dots) == 16


def test_an_empty_range_is_all_zeros_not_an_error(db_session):
    empty = dashboard.build(db_session, DayRange(date(2026, 1, 5), date(2026, 1, 5), NY), now=NOW)
    assert empty.requests == {"guide": [0], "callback": [0]}
    assert empty.delays[0].median is None and empty.contact[0].rate is None
    assert empty.depth == [0] * 24
    assert panels.requests_chart(empty).empty and panels.delay_chart(empty).empty


def test_queue_depth_ends_with_now_between_the_hourly_samples(db_session):
    """8 callbacks asked for after 08:00 and open at 08:43: the 08:00 sample is 0, now is 8."""
    now = datetime(2026, 12, 5, 13, 43, tzinfo=UTC)  # 08:43 in New York
    for minute in range(5, 45, 5):
        _item(db_session, datetime(2026, 12, 5, 13, minute, tzinfo=UTC))
    f = dashboard.build(db_session, DayRange.ending(date(2026, 12, 5), 7, NY), now=now)
    assert f.depth[8] == 0 and len(f.depth) == 9  # midnight to 08:00, sampled on the hour
    assert f.depth_now == 8 and f.depth_now_label == "now, 08:43"
    chart = panels.depth_chart(f)
    assert chart.now is not None and chart.now.tip == "now, 08:43: 8 open items"
    eight, band = chart.dots[8].x, chart.dots[1].x - chart.dots[0].x
    assert eight + 0.7 * band < chart.now.x < eight + band  # 43 minutes on from 08:00
    assert chart.now.y < chart.dots[8].y  # higher on the plot than the 08:00 point's 0


def test_a_range_that_ended_before_today_has_no_now_point(db_session):
    f = dashboard.build(db_session, DayRange(date(2026, 11, 2), date(2026, 11, 3), NY), now=NOW)
    assert f.depth_now is None and len(f.depth) == 24
    assert panels.depth_chart(f).now is None
