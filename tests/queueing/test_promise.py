"""The promise rule with no database: shifts, the staffed hours, the queue ahead, the words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.queueing import priority, promise, shifts

NY = ZoneInfo("America/New_York")
TUESDAY_9_30 = datetime(2026, 12, 1, 9, 30, tzinfo=NY).astimezone(UTC)
STAFFED = shifts.parse_hours("Mon-Fri 08:00-20:00 America/New_York")
NINE_TO_FIVE = shifts.parse_shifts([shifts.parse_line("Mon-Fri 09:00-17:00")], "America/New_York")


def anytime(moment: datetime) -> datetime:
    """Calling rules that allow every minute."""
    return moment


def test_with_no_shifts_the_staffed_hours_decide_and_never_a_number_of_minutes():
    staffing = promise.Staffing([], STAFFED, on_shift_now=3, ahead=0, taken_last_hour=30)
    kept = promise.promise(TUESDAY_9_30, anytime, staffing)
    assert kept.is_now(TUESDAY_9_30) and kept.minutes is None and not kept.from_shifts
    saturday = datetime(2026, 12, 5, 10, tzinfo=NY).astimezone(UTC)
    later = promise.promise(saturday, anytime, staffing)
    assert later.at == datetime(2026, 12, 7, 8, tzinfo=NY) and later.minutes is None


@settings(max_examples=200, deadline=None)
@given(
    minutes=st.integers(0, 60 * 24 * 14),
    working=st.integers(0, 5),
    ahead=st.integers(0, 50),
    taken=st.integers(0, 100),
)
def test_no_shift_data_never_yields_minutes_whatever_the_queue(minutes, working, ahead, taken):
    now = TUESDAY_9_30 + timedelta(minutes=minutes)
    kept = promise.promise(now, anytime, promise.Staffing([], STAFFED, working, ahead, taken))
    assert kept.minutes is None
    assert shifts.on_shift(STAFFED, kept.at) and kept.at >= now


def test_with_shifts_minutes_come_only_from_someone_on_shift_and_the_queue_ahead():
    quiet = promise.Staffing(NINE_TO_FIVE, STAFFED, on_shift_now=1, ahead=0)
    assert promise.promise(TUESDAY_9_30, anytime, quiet).minutes == 10
    busy = promise.Staffing(NINE_TO_FIVE, STAFFED, on_shift_now=1, ahead=4)
    assert promise.promise(TUESDAY_9_30, anytime, busy).minutes is None  # no pace to go by
    paced = promise.Staffing(NINE_TO_FIVE, STAFFED, on_shift_now=2, ahead=3, taken_last_hour=12)
    assert promise.promise(TUESDAY_9_30, anytime, paced).minutes == 30  # 4 calls at 12 an hour
    early = datetime(2026, 12, 1, 8, 46, tzinfo=NY).astimezone(UTC)
    kept = promise.promise(early, anytime, quiet)
    assert kept.at == datetime(2026, 12, 1, 9, tzinfo=NY) and kept.minutes is None


def test_the_clock_starts_at_the_later_of_the_request_and_the_promise():
    asked = datetime(2026, 12, 1, 8, 46, tzinfo=NY)
    nine = datetime(2026, 12, 1, 9, tzinfo=NY)
    assert promise.clock_start(asked, nine) == nine
    assert promise.clock_start(nine, asked) == nine


def test_the_staffed_hours_read_as_words():
    assert promise.hours_words(STAFFED) == "Monday to Friday, 8:00 AM to 8:00 PM Eastern time"
    two = shifts.parse_hours("Mon-Fri 09:00-17:00; Sat 10:00-14:00 America/Chicago")
    assert promise.hours_words(two) == (
        "Monday to Friday, 9:00 AM to 5:00 PM; Saturday, 10:00 AM to 2:00 PM Central time"
    )


@pytest.mark.parametrize(
    "text", ["Mon-Fri 08:00-20:00", "Mon-Fri 8-20 America/New_York",
             "Funday 08:00-20:00 America/New_York", "America/New_York", ""],
)  # fmt: skip
def test_staffed_hours_that_do_not_read_are_refused(text):
    with pytest.raises(ValueError, match=r"like|days are"):
        shifts.parse_hours(text)


def test_priority_in_words_counts_from_the_clock():
    nine = datetime(2026, 12, 1, 9, tzinfo=NY)
    assert priority.words(0, nine, nine + timedelta(minutes=1)) == "due in 4 min"
    assert priority.words(0, nine, nine + timedelta(minutes=17)) == "waiting 12 min past target"
    assert priority.words(0, nine, nine - timedelta(minutes=14)) == "due in 19 min"
    assert priority.words(2, nine, nine - timedelta(minutes=30)) == "retry, due in 30 min"
    assert (
        priority.words(2, nine, nine + timedelta(hours=1, minutes=5)) == "retry, due 1 h 5 min ago"
    )
