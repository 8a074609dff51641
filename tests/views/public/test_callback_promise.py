"""The thank-you page's promise and calling hours: from what we know, in the caller's state."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from intake.queueing import shifts
from intake.services.staff import auth
from tests.conftest import GOOD_CALLBACK, submit

NY = ZoneInfo("America/New_York")
TUESDAY_9_30 = datetime(2026, 11, 3, 9, 30, tzinfo=NY)
SATURDAY_10 = datetime(2026, 11, 7, 10, 0, tzinfo=NY)


def _thanks(client, monkeypatch, moment, **overrides) -> str:
    from intake.services.queue import waiting

    response = submit(client, "/callback", GOOD_CALLBACK, **overrides)
    monkeypatch.setattr(waiting, "utcnow", lambda: moment.astimezone(UTC))
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return page.get_data(as_text=True).replace("&#39;", "'")


def _lead(html: str) -> str:
    return re.search(r'<p class="lead">(.*?)</p>', html, re.S).group(1)


@pytest.mark.parametrize("moment", [TUESDAY_9_30, SATURDAY_10])
def test_with_no_shifts_and_nobody_signed_in_no_number_of_minutes_is_promised(
    client, db_session, monkeypatch, moment
):
    auth.create_user(db_session, "adv@staff.example.org", "advocate", "a long advocate password")
    db_session.commit()
    promise = _lead(_thanks(client, monkeypatch, moment, best_time="asap"))
    assert "minute" not in promise
    assert "Our advocates work Monday to Friday, 8:00 AM to 8:00 PM Eastern time." in promise
    if moment == SATURDAY_10:  # outside the staffed hours: the next time they begin
        assert "on Monday after 8:00 AM your time" in promise
    else:
        assert "as soon as one is free" in promise


def test_the_staffed_hours_setting_is_what_the_page_promises(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "STAFFED_HOURS", "Mon-Fri 10:00-16:00 America/Chicago")
    promise = _lead(_thanks(client, monkeypatch, TUESDAY_9_30, best_time="asap"))
    # 9:30 in New York is 8:30 in Chicago: the team starts at 10:00 Central, 11:00 Eastern
    assert "today after 11:00 AM your time" in promise
    assert "Monday to Friday, 10:00 AM to 4:00 PM Central time" in promise


def test_with_someone_on_shift_and_nobody_ahead_it_may_promise_minutes(
    client, db_session, monkeypatch
):
    who = auth.create_user(
        db_session, "adv@staff.example.org", "advocate", "a long advocate password"
    )
    who.shifts = [shifts.parse_line("Mon-Fri 08:00-18:00")]
    db_session.commit()
    promise = _lead(_thanks(client, monkeypatch, TUESDAY_9_30, best_time="asap"))
    assert promise == "A patient advocate will call you soon, usually within 10 minutes."


@pytest.mark.parametrize(
    ("zip_code", "hours"),
    [
        ("02903", "Calls only happen between 9:00 AM and 6:00 PM your time Monday to Friday, "
                  "between 10:00 AM and 5:00 PM on Saturdays, and never on Sundays or holidays."),
        ("77002", "Calls only happen between 9:00 AM and 9:00 PM your time Monday to Saturday, "
                  "and between noon and 9:00 PM on Sundays."),
        ("33101", "Calls only happen between 8:00 AM and 8:00 PM your time."),
        ("10001", "Calls only happen between 8:00 AM and 9:00 PM your time."),
    ],
)  # fmt: skip
def test_the_calling_hours_line_is_the_callers_state_rule(client, monkeypatch, zip_code, hours):
    html = _thanks(client, monkeypatch, TUESDAY_9_30, zip=zip_code)
    assert hours in " ".join(html.split())
    assert html.count("Calls only happen") == 1
