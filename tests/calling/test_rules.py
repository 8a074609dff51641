"""The rule table as data, and the holiday calendars it builds on the `holidays` package."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from typing import Any

import holidays
import pytest

from intake.calling import FEDERAL, RULES, rule_for
from intake.calling.closed_days import holiday_name
from intake.calling.rules import (
    CHOSEN_WINDOWS,
    STATE_NAMES,
    STATE_RULES,
    EasterOffset,
    ElectionDay,
    Fixed,
    NthWeekday,
)

# CALLING_RULES.md, typed again: (weekday, saturday, sunday, holidays, cap) per state.
H = {"8-21": (8, 21), "8-20": (8, 20), "9-20": (9, 20), "9-21": (9, 21), "10-21": (10, 21)}
SPEC: dict[str, tuple[Any, ...]] = {
    "FL": ("8-20", "8-20", "8-20", "none", 3),
    "OK": ("8-20", "8-20", "8-20", "none", 3),
    "MD": ("8-20", "8-20", "8-20", "none", 3),
    "WA": ("8-20", "8-20", "8-20", "none", None),
    "CT": ("9-20", "9-20", "9-20", "none", None),
    "TX": ("9-21", "9-21", (12, 21), "none", None),
    "LA": ("8-20", "8-20", None, "state", None),
    "AL": ("8-20", "8-20", None, "state_observed", None),
    "MS": ("8-20", "8-20", None, "none", None),
    "UT": ("8-21", "8-21", None, "state", None),
    "RI": ((9, 18), (10, 17), None, "state_or_federal", None),
    "PA": ("8-21", "8-21", "8-21", "state", None),
    "KY": ("10-21", "10-21", "10-21", "none", None),
    "MA": ("8-20", "8-20", "8-20", "none", None),
    "MI": ("9-21", "9-21", "9-21", "none", None),
    "MN": ("9-21", "9-21", "9-21", "none", None),
    "NM": ("9-21", "9-21", "9-21", "none", None),
    "NV": ("9-20", "9-20", "9-20", "none", None),
}


def _window(spec: str | tuple[int, int] | None) -> tuple[time, time] | None:
    if spec is None:
        return None
    start, end = H[spec] if isinstance(spec, str) else spec
    return (time(start), time(end))


@pytest.mark.parametrize("code", sorted(SPEC))
def test_each_row_matches_the_spec_table(code):
    weekday, saturday, sunday, policy, cap = SPEC[code]
    rule = RULES[code]
    assert (rule.weekday, rule.saturday, rule.sunday) == tuple(
        _window(w) for w in (weekday, saturday, sunday)
    )
    assert (rule.holidays, rule.attempt_cap_24h) == (policy, cap)
    assert rule.source and code in STATE_NAMES


def test_the_table_has_exactly_the_spec_rows_and_a_federal_default():
    assert sorted(RULES) == sorted(SPEC)
    assert len(STATE_RULES) == len(RULES)
    assert (FEDERAL.weekday, FEDERAL.sunday) == ((time(8), time(21)), (time(8), time(21)))
    assert FEDERAL.source == "47 CFR 64.1200(c)(1)"
    assert rule_for("ny") is FEDERAL and rule_for(None) is FEDERAL and rule_for("fl").code == "FL"


@pytest.mark.parametrize("rule", STATE_RULES, ids=lambda r: r.code)
def test_no_row_is_wider_than_federal_hours_and_every_row_has_an_open_day(rule):
    windows = [rule.weekday, rule.saturday, rule.sunday]
    for window in filter(None, windows):
        assert time(8) <= window[0] < window[1] <= time(21)
    assert rule.weekday is not None


def test_chosen_windows_are_the_vocabulary_of_best_times():
    from intake.vocab import BEST_TIMES

    assert set(CHOSEN_WINDOWS) == {value for value, _ in BEST_TIMES}
    assert CHOSEN_WINDOWS["asap"] is None
    assert CHOSEN_WINDOWS["evening"] == (time(17), time(21))


def test_holiday_rule_kinds():
    assert NthWeekday("Memorial", 5, 0, -1).days(2026) == [(date(2026, 5, 25), "Memorial")]
    assert NthWeekday("Columbus", 10, 0, 2).days(2026) == [(date(2026, 10, 12), "Columbus")]
    assert EasterOffset("Good Friday", -2).days(2027) == [(date(2027, 3, 26), "Good Friday")]
    assert EasterOffset("Mardi Gras", -47).days(2026) == [(date(2026, 2, 17), "Mardi Gras")]
    assert ElectionDay("E", even_years_only=True).days(2027) == []
    assert ElectionDay("E", even_years_only=False).days(2027) == [(date(2027, 11, 2), "E")]
    assert Fixed("July 4", 7, 4, monday_if_weekend=True).days(2026) == [
        (date(2026, 7, 4), "July 4"),
        (date(2026, 7, 6), "July 4 (observed)"),
    ]


@pytest.mark.parametrize(
    ("code", "day", "name"),
    [
        ("LA", date(2026, 2, 17), "Mardi Gras"),  # from the package
        ("LA", date(2026, 1, 8), "Battle of New Orleans"),  # La. R.S. 1:55, added
        ("LA", date(2026, 11, 1), "All Saints' Day"),
        ("AL", date(2026, 4, 27), "Confederate Memorial Day"),
        ("AL", date(2027, 12, 24), "Christmas Day (observed)"),  # Saturday kept on Friday
        ("AL", date(2027, 7, 5), "Independence Day (observed)"),  # Sunday kept on Monday
        ("AL", date(2026, 2, 17), "Mardi Gras"),  # Baldwin/Mobile only, kept statewide
        ("UT", date(2026, 7, 24), "Pioneer Day"),
        ("UT", date(2027, 7, 23), "Pioneer Day (observed)"),
        ("RI", date(2026, 8, 10), "Victory Day"),
        ("RI", date(2026, 2, 16), "Washington's Birthday"),  # federal, not a RI state day
        ("RI", date(2026, 7, 6), "Independence Day (observed)"),  # R.I.: Saturday -> Monday
        ("RI", date(2026, 5, 4), "Rhode Island Independence Day"),
        ("RI", date(2026, 11, 3), "General Election Day"),
        ("PA", date(2026, 4, 3), "Good Friday"),
        ("PA", date(2027, 6, 14), "Flag Day"),
        ("PA", date(2026, 11, 3), "Election Day"),
    ],
)
def test_holidays_that_close_a_day(code, day, name):
    assert name in (holiday_name(RULES[code], day) or "")


def test_days_that_stay_open():
    assert holiday_name(RULES["RI"], date(2027, 11, 2)) is None  # odd year: no general election
    assert holiday_name(RULES["FL"], date(2026, 12, 25)) is None  # Florida: no holiday rule
    assert holiday_name(FEDERAL, date(2026, 12, 25)) is None
    assert holiday_name(RULES["LA"], date(2026, 3, 10)) is None


def test_a_row_can_drop_a_package_day_the_statute_lacks():
    pa = RULES["PA"]
    assert holiday_name(pa, date(2026, 11, 27)) == "Day After Thanksgiving"
    strict = replace(pa, drop_holidays=("Day After Thanksgiving",))
    assert holiday_name(strict, date(2026, 11, 27)) is None
    assert holiday_name(strict, date(2026, 11, 26)) == "Thanksgiving Day"


def test_where_the_holidays_package_differs_from_the_statutes():
    """Pins the differences the rows correct, so a package upgrade that fixes them shows up."""
    days = {
        code: set(holidays.US(subdiv=code, years=2026)) for code in ("LA", "AL", "RI", "PA", "UT")
    }
    assert date(2026, 1, 8) not in days["LA"] and date(2026, 8, 30) not in days["LA"]
    assert date(2026, 2, 17) not in days["AL"]
    assert {date(2026, 5, 4), date(2026, 7, 6), date(2026, 11, 3)}.isdisjoint(days["RI"])
    assert {date(2026, 4, 3), date(2026, 11, 3)}.isdisjoint(days["PA"])
    assert date(2026, 11, 27) in days["PA"]  # Day After Thanksgiving: not in 44 P.S. 11, kept
    assert date(2026, 7, 24) in days["UT"]
