"""A local day's calling window: the state's row in federal hours, holidays, the patient's choice.

Everything here is wall-clock time on a local date; turning it into instants (time
zones, daylight saving) is ``hours.py``'s job.
"""

from __future__ import annotations

from datetime import date, time

from intake.calling.closed_days import holiday_name
from intake.calling.rules import CHOSEN_WINDOWS, FEDERAL, STATE_NAMES, StateRule, Window


def intersect(a: Window | None, b: Window | None) -> Window | None:
    """The overlap of two windows, None when either is None or they do not overlap."""
    if a is None or b is None:
        return None
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if start < end else None


def chosen_window(chosen: str | None) -> Window | None:
    """The patient's chosen window (None for 'asap' or no choice); an unknown value is a bug."""
    if not chosen:
        return None
    if chosen not in CHOSEN_WINDOWS:
        raise ValueError(
            f"unknown chosen window {chosen!r}; expected one of {sorted(CHOSEN_WINDOWS)}"
        )
    return CHOSEN_WINDOWS[chosen]


def _column(rule: StateRule, day: date) -> Window | None:
    weekday = day.weekday()
    if weekday == 5:
        return rule.saturday
    return rule.sunday if weekday == 6 else rule.weekday


def rule_window(rule: StateRule, day: date) -> tuple[Window | None, str]:
    """The row's window on a local date (never wider than federal hours) and, if none, why not."""
    holiday = holiday_name(rule, day)
    if holiday:
        return None, f"{holiday}: no calls in {state_name(rule)}"
    column = _column(rule, day)
    if column is None:
        return None, f"{day:%A}: no calls in {state_name(rule)}"
    # A typo in a state's row can only narrow: federal hours always bound it.
    return intersect(column, _column(FEDERAL, day)), ""


def local_window(rule: StateRule, day: date, chosen: str | None) -> Window | None:
    """The row's window narrowed by the patient's choice; None means no call that day."""
    window, _ = rule_window(rule, day)
    narrow = chosen_window(chosen)
    return intersect(window, narrow) if narrow else window


def state_name(rule: StateRule) -> str:
    """The row's place in plain English, for staff-facing reasons."""
    return STATE_NAMES.get(rule.code, rule.code)


def clock(t: time) -> str:
    """A wall-clock time as staff read it: '8:00 AM', '12:30 PM'."""
    return f"{t.hour % 12 or 12}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def span(window: Window) -> str:
    """A window as staff read it: '8:00 AM to 9:00 PM'."""
    return f"{clock(window[0])} to {clock(window[1])}"
