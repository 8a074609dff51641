"""The queue's priority formula, and that the stored rank key orders exactly as it does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.queueing import priority, retries, shifts

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def test_first_attempts_come_before_retries_whatever_the_wait():
    fresh_first = priority.priority(0, 0, NOW, NOW)
    old_retry = priority.priority(2, 10, NOW - timedelta(hours=20), NOW)
    assert fresh_first > old_retry


def test_the_score_jumps_when_a_first_call_passes_the_five_minute_target():
    before = priority.priority(0, 0, NOW - timedelta(minutes=4, seconds=59), NOW)
    after = priority.priority(0, 0, NOW - timedelta(minutes=5), NOW)
    assert before[1] == 0 and after[1] == 1
    urgent_new = priority.priority(0, priority.STAGE_4_MINUTES, NOW, NOW)
    assert after > urgent_new  # a call past the target beats an urgent one just in
    assert priority.sla_breached(0, NOW - timedelta(minutes=5), NOW)
    assert not priority.sla_breached(1, NOW - timedelta(hours=1), NOW)


def test_urgency_counts_as_minutes_of_waiting():
    stage_4 = priority.Urgency(stage_4=True).minutes
    assert stage_4 == 10 and priority.Urgency(asap=True, recent_diagnosis=True).minutes == 10
    urgent = priority.priority(0, stage_4, NOW - timedelta(minutes=1), NOW)
    waited = priority.priority(0, 0, NOW - timedelta(minutes=4), NOW)
    assert urgent > waited


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 24 * 60)), min_size=2, max_size=12),
    st.integers(0, 10_000),
)
def test_the_stored_rank_key_orders_like_the_formula_at_any_later_time(items, later):
    """Within a class the formula's order never changes with time: so an index can serve it."""
    callables = [(urgency, NOW - timedelta(minutes=minutes)) for urgency, minutes in items]
    at = NOW + timedelta(minutes=later)
    by_formula = sorted(callables, key=lambda x: -priority.priority(1, x[0], x[1], at)[2])
    by_key = sorted(callables, key=lambda x: -priority.rank_key(x[0], x[1]))
    assert [priority.priority(1, u, c, at)[2] for u, c in by_formula] == pytest.approx(
        [priority.priority(1, u, c, at)[2] for u, c in by_key]
    )


def test_retry_gaps_grow_and_stop_at_the_cap():
    gaps = [retries.next_try(n, NOW) - NOW for n in range(1, 6)]
    assert gaps == sorted(gaps) and gaps[0] == timedelta(minutes=30)
    assert not retries.exhausted(retries.MAX_ATTEMPTS - 1) and retries.exhausted(6)


def test_shift_lines_parse_and_read_back():
    assert shifts.parse_line("Mon-Fri 09:00-17:30") == {
        "days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:30",
    }  # fmt: skip
    assert shifts.parse_line("Sat, Sun 10:00-14:00")["days"] == [5, 6]
    assert shifts.parse_line("fri-mon 08:00-12:00")["days"] == [0, 4, 5, 6]
    assert shifts.describe([shifts.parse_line("Mon-Fri 09:00-17:30")]) == "Mon-Fri 09:00-17:30"
    for bad in ("Mon-Fri", "Funday 09:00-10:00", "Mon 17:00-09:00", "Mon 9-5"):
        try:
            shifts.parse_line(bad)
        except ValueError as error:
            assert bad in str(error)
        else:
            raise AssertionError(f"{bad!r} was accepted")


def test_who_is_on_shift_and_when_someone_next_is():
    chicago = shifts.parse_shifts([shifts.parse_line("Mon-Fri 09:00-17:00")], "America/Chicago")
    monday_10_chicago = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert shifts.on_shift(chicago, monday_10_chicago)
    saturday = datetime(2026, 12, 5, 16, 0, tzinfo=UTC)
    assert not shifts.on_shift(chicago, saturday)
    assert shifts.next_staffed(chicago, saturday) == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    assert shifts.next_staffed([], saturday) is None
