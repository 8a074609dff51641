"""The holidays on which a state's row bars calls, from the ``holidays`` package as corrected.

The package is the maintained calendar (the spec asks for one rather than a typed list);
each row of ``rules.py`` says which policy applies and adds or drops the days where the
statute differs from the package.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

from intake.calling.rules import StateRule


def holiday_name(rule: StateRule, day: date) -> str | None:
    """The holiday that closes this day under the row's policy, or None when calls may go ahead."""
    if rule.holidays == "none":
        return None
    return _closed_days(rule, day.year).get(day)


def _add(days: dict[date, str], day: date, name: str) -> None:
    current = days.get(day)
    if current is None:
        days[day] = name
    elif name not in current.split("; "):
        days[day] = f"{current}; {name}"


@lru_cache(maxsize=256)
def _closed_days(rule: StateRule, year: int) -> dict[date, str]:
    # Neighbouring years too: New Year's Day on a Saturday is observed on 31 December.
    years = (year - 1, year, year + 1)
    calendar = holidays.US(subdiv=rule.code, years=years)
    days: dict[date, str] = {}
    for day in calendar:
        names = [n for n in calendar.get_list(day) if n not in rule.drop_holidays]
        if names:
            days[day] = "; ".join(names)
    if rule.holidays == "state_or_federal":
        federal = holidays.US(years=years)
        for day in federal:
            for name in federal.get_list(day):
                _add(days, day, name)
    for extra in rule.add_holidays:
        for y in years:
            for day, name in extra.days(y):
                _add(days, day, name)
    if rule.holidays == "state_observed":
        # Ala. Code 1-3-8: a Saturday holiday is also kept on the Friday, a Sunday one on Monday.
        for day, name in list(days.items()):
            shift = {5: -1, 6: 1}.get(day.weekday())
            if shift:
                _add(days, day + timedelta(days=shift), f"{name} (observed)")
    return {day: name for day, name in days.items() if day.year == year}
