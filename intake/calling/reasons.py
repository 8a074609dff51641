"""Short plain-English reasons why a call may not start now, for the staff console."""

from __future__ import annotations

from datetime import datetime, timedelta

from intake.calling import places
from intake.calling.places import Place
from intake.calling.rules import FEDERAL, UNKNOWN_ZONE_UTC, StateRule
from intake.calling.windows import chosen_window, clock, intersect, rule_window, span, state_name

_UNKNOWN_ZONE = "Time zone unknown: calls only from 8:00 AM Hawaii time to 8:00 PM Puerto Rico time"


def hours_reason(place: Place, rule: StateRule, local: datetime, chosen: str | None) -> str:
    """Why `local` is outside the calling hours (local is in UTC when the zone is unknown)."""
    if places.zone(place.timezone) is None:
        return _unknown_zone_reason(place, rule, local)
    return _local_reason(rule, local, chosen)


def cap_reason(rule: StateRule, count: int) -> str:
    """Why the state's attempt cap blocks a call now."""
    return f"{count} attempts in the last 24 hours ({state_name(rule)}'s cap)"


def _whose(rule: StateRule) -> str:
    return "federal hours" if rule is FEDERAL else f"{state_name(rule)}'s hours"


def _local_reason(rule: StateRule, local: datetime, chosen: str | None) -> str:
    window, why = rule_window(rule, local.date())
    if window is None:
        return why
    narrow = chosen_window(chosen)
    hours = intersect(window, narrow) if narrow else window
    if hours is None:
        return (
            f"{local:%A}: {_whose(rule)} ({span(window)}) miss the patient's {chosen} window"
            f" ({span(narrow or window)})"
        )
    now = clock(local.time())
    if local.time() < hours[0]:
        whose = f"the patient's {chosen} window" if hours[0] != window[0] else _whose(rule)
        return f"Too early: {now} local time; {whose} start at {clock(hours[0])}"
    whose = f"the patient's {chosen} window" if hours[1] != window[1] else _whose(rule)
    last = (datetime.combine(local.date(), hours[1]) - timedelta(minutes=1)).time()
    return f"Too late: {now} local time; {whose} end at {clock(hours[1])} (last call {clock(last)})"


def _unknown_zone_reason(place: Place, rule: StateRule, at_utc: datetime) -> str:
    start, end = UNKNOWN_ZONE_UTC
    if not start <= at_utc.time() < end:
        return _UNKNOWN_ZONE
    # Inside the all-zones window, so the state's own rule blocked it in one of its zones.
    for name in places.state_zones(place.state or ""):
        zone = places.zone(name)
        there = at_utc.astimezone(zone)
        window, _ = rule_window(rule, there.date())
        if window is None or not window[0] <= there.time() < window[1]:
            return f"Time zone unknown; in {name}: {_local_reason(rule, there, None)}"
    return _UNKNOWN_ZONE
