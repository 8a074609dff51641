"""The chaos run's callers live where an advocate may call them for the whole run.

Otherwise a run at US night would give the advocates nothing to claim and check no
claims; the places come from the product's own calling rules (intake.calling).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bench.chaos_places import callable_zips

MONDAY = datetime(2026, 12, 7, tzinfo=UTC)


def at(hour: int, minute: int = 30) -> datetime:
    return MONDAY.replace(hour=hour, minute=minute)


def test_a_us_afternoon_run_calls_chicago_and_new_york():
    assert callable_zips(600, now=at(19)) == ["60601", "10001"]


def test_a_run_after_new_yorks_9_pm_moves_west():
    # 02:30 UTC is 9:30 PM in New York and 8:30 PM in Chicago: Chicago has half an hour
    assert callable_zips(600, now=at(2)) == ["60601", "80202"]
    assert callable_zips(3600, now=at(2)) == ["80202", "90012"]


def test_the_us_night_is_covered_by_the_pacific_territories():
    assert callable_zips(600, now=at(9)) == ["96910"]  # Guam's evening


def test_no_place_in_the_hour_before_puerto_ricos_morning():
    assert callable_zips(60, now=at(11)) == []
    assert callable_zips(60, now=at(12)) == ["00901"]


def test_a_places_last_minutes_do_not_count_for_a_longer_run():
    # Guam's federal hours end at 9 PM local (11:00 UTC): a run past it must look elsewhere
    assert "96910" not in callable_zips(3600, now=at(10))
