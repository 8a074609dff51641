"""The confirmation page's promise: the rules, who is working, the queue ahead, kept honest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from intake import calling
from intake.queueing import shifts
from intake.services.queue import claims, waiting
from tests.services.queue.test_queue import MONDAY_10_NY, advocate, ask

NEW_YORK = calling.place_for("NY", "America/New_York", "10001")
HONOLULU = calling.place_for("HI", "Pacific/Honolulu", "96813")


def staff(session, line="Mon-Fri 09:00-17:00", zone="America/New_York", skills=()):
    who = advocate(session, skills=skills)
    who.shifts, who.timezone = [shifts.parse_line(line)], zone
    session.flush()
    return who


def test_at_night_it_names_the_next_morning_in_their_own_time(db_session):
    staff(db_session, "Mon-Sun 08:00-20:00")
    night = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)  # 11:30 PM Monday in New York
    sentence = waiting.expectation(db_session, NEW_YORK, "asap", night)
    assert sentence == (
        "It is 11:30 PM where you are, so a patient advocate will call you "
        "tomorrow after 8:00 AM your time."
    )


def test_when_nobody_works_before_the_window_closes_it_waits_for_someone_who_does(db_session):
    staff(db_session, "Mon-Fri 09:00-17:00")  # Eastern
    friday_evening = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)  # 6 PM Friday in New York
    sentence = waiting.expectation(db_session, NEW_YORK, "asap", friday_evening)
    assert "on Monday after 9:00 AM your time" in sentence


def test_in_staffed_hours_it_estimates_from_the_queue_and_the_pace(db_session):
    who = staff(db_session, "Mon-Fri 08:00-18:00")
    for minutes in (50, 40, 30, 20, 10, 5):  # six calls taken in the last hour
        item = ask(db_session, now=MONDAY_10_NY - timedelta(minutes=minutes + 1))
        claims.claim_next(db_session, who, MONDAY_10_NY - timedelta(minutes=minutes))
        assert item.status == "claimed"
    ask(db_session)  # one waiting ahead
    sentence = waiting.expectation(db_session, NEW_YORK, "asap", MONDAY_10_NY)
    assert sentence == "A patient advocate will call you soon, usually within 30 minutes."


def test_hawaii_in_the_morning_on_the_mainland_waits_for_hawaii_hours(db_session):
    staff(db_session, "Mon-Sun 06:00-23:00")
    sentence = waiting.expectation(db_session, HONOLULU, "asap", MONDAY_10_NY)  # 5 AM HST
    assert "today after 8:00 AM your time" in sentence and "5:00 AM" in sentence


def test_without_any_shifts_set_the_staffed_hours_and_the_rules_decide(db_session):
    advocate(db_session)
    assert waiting.first_call_at(db_session, NEW_YORK, "asap", MONDAY_10_NY) == MONDAY_10_NY
    saturday = MONDAY_10_NY - timedelta(days=2)  # not a staffed day: Monday 8:00 AM
    monday_8 = MONDAY_10_NY - timedelta(hours=2)
    assert waiting.first_call_at(db_session, NEW_YORK, "asap", saturday) == monday_8
