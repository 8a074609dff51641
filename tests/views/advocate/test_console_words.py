"""What advocates read: lateness from the promised time, priority and skills in words."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

from intake.queueing import shifts
from intake.services.queue import queue
from tests.services.queue.test_clock import ASKED, NINE, _ask
from tests.views.conftest import make_user

RAW_SCORE = re.compile(r"\b\d{5,}\.\d\b")  # "100021.0": the old priority column


def _panel(client, monkeypatch, moment) -> str:
    from intake.views.advocate import queue as console

    monkeypatch.setattr(console, "utcnow", lambda: moment.astimezone(UTC))
    page = client.get("/advocate/queue/panel")
    assert page.status_code == 200
    return " ".join(page.get_data(as_text=True).split())


def test_the_console_counts_lateness_from_the_promise_and_says_priority_in_words(
    client, db_session, login_as, monkeypatch
):
    early = make_user(db_session, "advocate", "early@staff.example.org")
    early.shifts = [shifts.parse_line("Mon-Fri 09:00-17:00")]
    _ask(db_session)  # 8:46, told "after 9:00 AM"
    login_as("advocate", skills=["es", "va"])

    at_8_51 = _panel(client, monkeypatch, ASKED + timedelta(minutes=5))
    assert "Dana" in at_8_51
    assert "is-late" not in at_8_51 and "waited more than 5 minutes" not in at_8_51
    assert "due in 14 min" in at_8_51  # the target is 9:05
    assert not RAW_SCORE.search(at_8_51)

    at_9_17 = _panel(client, monkeypatch, NINE + timedelta(minutes=17))
    assert 'class="is-late"' in at_9_17
    assert "1 first call</strong> has waited more than 5 minutes" in at_9_17
    assert "waiting 12 min past target" in at_9_17
    assert not RAW_SCORE.search(at_9_17)


def test_my_call_backs_say_when_each_is_due_in_words(client, db_session, login_as):
    me = login_as("advocate")
    item = _ask(db_session)
    item.status, item.attempts, item.preferred_advocate_id = "retry_scheduled", 1, me.id
    item.callable_from = queue.utcnow() + timedelta(minutes=90)
    db_session.flush()
    html = " ".join(client.get("/advocate/callbacks").get_data(as_text=True).split())
    assert re.search(r"<td>in 1 h (29|30) min</td>", html)


def test_skills_are_words_on_the_staff_list_and_my_page(client, db_session, login_as):
    make_user(db_session, "advocate", "bilingual@staff.example.org", skills=["es", "va"])
    login_as("admin")
    staff = " ".join(client.get("/admin/staff").get_data(as_text=True).split())
    assert "<td>Spanish, VA benefits</td>" in staff and "es, va" not in staff
    client.post("/logout", data={"csrf_token": _token(client)})
    login_as("advocate", "me@staff.example.org", skills=["es"])
    mine = client.get("/advocate/me").get_data(as_text=True)
    assert "<dd>Spanish</dd>" in mine


def _token(client) -> str:
    from tests.views.conftest import csrf_token

    return csrf_token(client, "/admin/staff")
