"""Where the chaos run's callers live: places an advocate may call for the whole run.

The console offers only calls the calling laws allow now (``intake.calling``):
callers from a place where it is night give the advocates nothing to claim,
and a run would then check no claims at all.  So the run picks, by the
product's own rules, ZIPs that stay inside calling hours from the first
submission until the drain's end, across the US time zones and territories.
Between about 11:00 and 12:00 UTC no US place is inside federal hours (8 AM to
9 PM local); a run then says so, and that the claims went unchecked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# mainland first, then the zones that cover the US night
CANDIDATES = ("60601", "10001", "80202", "90012", "99501", "96813", "96799", "96910", "00901")
STEP = timedelta(minutes=5)


def callable_throughout(zip_code: str, start: datetime, seconds: float) -> bool:
    """Whether a call may start there at every 5-minute step from ``start`` for ``seconds``."""
    from intake.calling import hours, places

    place = places.locate(zip_code)
    if place is None:
        return False
    end = start + timedelta(seconds=seconds)
    moment = start
    while moment < end:
        if not hours.check(place, moment).allowed:
            return False
        moment += STEP
    return hours.check(place, end).allowed


def callable_zips(seconds: float, want: int = 2, now: datetime | None = None) -> list[str]:
    """Up to ``want`` ZIPs callable for the next ``seconds``; none when nowhere is."""
    start = now or datetime.now(UTC)
    found = [z for z in CANDIDATES if callable_throughout(z, start, seconds)]
    return found[:want]
