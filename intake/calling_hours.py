"""When a callback can honestly be expected, in the caller's own time zone.

Calls are allowed 8:00 AM to 9:00 PM local time (the federal rule); the
state-specific rules and staffing arrive with the callback-queue issue.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CALLS_START = time(8, 0)
CALLS_END = time(21, 0)
DEFAULT_TZ = "America/New_York"
WINDOWS = {
    "morning": (time(8), time(12)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(21)),
}


def _zone(tz_name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def _clock(t: time) -> str:
    return datetime.combine(datetime(2000, 1, 1), t).strftime("%-I:%M %p")


def expectation(tz_name: str | None, best_time: str, now: datetime | None = None) -> str:
    """One plain sentence saying when the first call can come."""
    zone = _zone(tz_name)
    local = (now or datetime.now(zone)).astimezone(zone)
    start, end = WINDOWS.get(best_time, (CALLS_START, CALLS_END))
    if start <= local.time() < end:
        return (
            "A patient advocate will call you as soon as one is free, usually within the hour "
            "during our calling hours."
        )
    day = "today" if local.time() < start else "tomorrow"
    return (
        f"It is {_clock(local.time())} where you are, so a patient advocate will call you "
        f"{day} after {_clock(start)} your time."
    )
