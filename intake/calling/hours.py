"""When an advocate may call: the rules turned into instants, at minute precision.

Each local day's window becomes a UTC interval [start, end) built with the patient's
zone (zoneinfo), so daylight-saving days need no special case; all comparisons are in
UTC.  A call may start at minute m when m lies in an interval and the state's attempt
cap is not reached in the 24 hours up to m.  ``next_allowed`` walks the intervals from
the requested instant and, when the cap blocks, jumps to the moment the oldest
counted attempt ages out.

Unknown time zone: the instant must fall in the window that fits every US zone from
Hawaii to Puerto Rico (``rules.UNKNOWN_ZONE_UTC``); when the state is known, the state's
row must also allow it in every zone that state's ZIPs use (so Louisiana's Sunday ban and
Guam's clock still hold).  The patient's chosen window is not applied then: "morning"
means nothing without a zone, and the window is already the strictest one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from intake.calling import places
from intake.calling.places import Place, UnknownZip
from intake.calling.reasons import cap_reason, hours_reason
from intake.calling.rules import SEARCH_DAYS, UNKNOWN_ZONE_UTC, StateRule, Window, rule_for
from intake.calling.windows import chosen_window, local_window, rule_window

MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)
Interval = tuple[datetime, datetime]  # UTC, end exclusive


class NoCallingWindow(RuntimeError):
    """No allowed minute within the search horizon: the rule data itself must be wrong."""


@dataclass(frozen=True)
class Decision:
    """Whether a call may start now, and if not, why and when it may."""

    allowed: bool
    local_time: datetime  # aware, in the patient's zone (UTC when the zone is unknown)
    window: Window | None  # today's local window after every narrowing; None = no calls today
    rule: str  # "federal", the state code whose row applied ("FL"), or "unknown_timezone"
    next_allowed_at: datetime  # aware, patient's local offset; == local_time when allowed
    reason: str  # short why-not for staff; "" when allowed


def _utc(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"an aware datetime is required, got naive {t!r}")
    return t.astimezone(UTC)


def _ceil_minute(t: datetime) -> datetime:
    floor = t.replace(second=0, microsecond=0)
    return floor if floor == t else floor + MINUTE


def _wall_to_utc(day: date, t: time, zone: ZoneInfo, latest: bool) -> datetime:
    # A wall time in a DST gap or overlap has two readings (fold 0 and 1): a window starts
    # at the later one and ends at the earlier one, so it never grows across a transition.
    readings = [
        datetime.combine(day, t, tzinfo=zone).replace(fold=f).astimezone(UTC) for f in (0, 1)
    ]
    return max(readings) if latest else min(readings)


def _interval(day: date, window: Window, zone: ZoneInfo) -> Interval | None:
    start = _ceil_minute(_wall_to_utc(day, window[0], zone, latest=True))
    end = _wall_to_utc(day, window[1], zone, latest=False).replace(second=0, microsecond=0)
    return (start, end) if start < end else None


def _unknown_zone_interval(place: Place, day: date) -> Interval | None:
    lo = datetime.combine(day, UNKNOWN_ZONE_UTC[0], tzinfo=UTC)
    hi = datetime.combine(day, UNKNOWN_ZONE_UTC[1], tzinfo=UTC)
    rule = rule_for(place.state)
    for name in places.state_zones(place.state or ""):
        zone = places.zone(name)
        assert zone is not None  # state_zones only lists valid zones
        pieces = []
        for local_day in (day - DAY, day, day + DAY):  # Guam's day is ahead, Samoa's behind
            window, _ = rule_window(rule, local_day)
            piece = _interval(local_day, window, zone) if window else None
            if piece and piece[0] < hi and piece[1] > lo:
                pieces.append(piece)
        if not pieces:
            return None
        # Pieces from different local days are >= 3 h apart; the 6 h window meets one only.
        lo, hi = max(lo, pieces[0][0]), min(hi, pieces[0][1])
    return (lo, hi) if lo < hi else None


def _day_interval(place: Place, day: date, chosen: str | None) -> Interval | None:
    zone = places.zone(place.timezone)
    if zone is None:
        return _unknown_zone_interval(place, day)
    window = local_window(rule_for(place.state), day, chosen)
    return _interval(day, window, zone) if window else None


def _intervals_from(place: Place, t: datetime, chosen: str | None) -> Iterator[Interval]:
    first = t.astimezone(places.zone(place.timezone) or UTC).date()
    for offset in range(-1, SEARCH_DAYS + 1):
        interval = _day_interval(place, first + timedelta(days=offset), chosen)
        if interval and interval[1] > t:
            yield interval


def _next_open(place: Place, t: datetime, chosen: str | None) -> datetime:
    for start, _ in _intervals_from(place, t, chosen):
        return max(start, t)
    raise NoCallingWindow(f"no calling window within {SEARCH_DAYS} days of {t} for {place}")


def _over_cap(rule: StateRule, t: datetime, attempts: Sequence[datetime]) -> tuple[int, datetime]:
    """(attempts counted at t, when enough of them age out); count 0 when under the cap."""
    cap = rule.attempt_cap_24h
    recent = [a for a in attempts if t - DAY < a <= t]  # attempts are sorted
    if cap is None or len(recent) < cap:
        return 0, t
    # Once the (n - cap + 1) oldest have left the rolling 24 hours, fewer than cap remain.
    return len(recent), recent[len(recent) - cap] + DAY


def _prepare(place: Place, chosen: str | None, attempts: Sequence[datetime]) -> list[datetime]:
    chosen_window(chosen)  # an unknown choice is a bug even where the choice is not applied
    return sorted(_utc(a) for a in attempts)


def next_allowed(
    place: Place,
    after: datetime,
    chosen: str | None = None,
    recent_attempts: Sequence[datetime] = (),
) -> datetime:
    """The first minute at or after `after` when a call may start (UTC): for queue ordering."""
    attempts = _prepare(place, chosen, recent_attempts)
    rule = rule_for(place.state)
    t = _ceil_minute(_utc(after))
    # Each jump past the cap moves t beyond one attempt for good, so this ends.
    for _ in range(len(attempts) + 1):
        t = _next_open(place, t, chosen)
        count, opens = _over_cap(rule, t, attempts)
        if not count:
            return t
        t = _ceil_minute(opens)
    raise NoCallingWindow(f"attempt cap never clears for {place}")


def window_on(place: Place, day: date, chosen: str | None = None) -> Window | None:
    """The day's window after every narrowing, for display (UTC times when the zone is unknown)."""
    chosen_window(chosen)
    if places.zone(place.timezone) is None:
        interval = _unknown_zone_interval(place, day)
        return (interval[0].time(), interval[1].time()) if interval else None
    return local_window(rule_for(place.state), day, chosen)


def check(
    place: Place,
    at: datetime,
    chosen: str | None = None,
    recent_attempts: Sequence[datetime] = (),
) -> Decision:
    """Whether a call may start at `at`, and if not why and when: for claiming a queue item."""
    attempts = _prepare(place, chosen, recent_attempts)
    rule = rule_for(place.state)
    at_utc = _utc(at)
    local = at_utc.astimezone(places.zone(place.timezone) or UTC)
    # Minute precision: the whole of [at, next whole minute] must be callable, so that an
    # allowed `at` agrees with next_allowed(at) and 20:59:30 is already too late for 21:00.
    minute = _ceil_minute(at_utc)
    current = next(_intervals_from(place, at_utc, chosen), None)
    in_hours = current is not None and current[0] <= at_utc and minute < current[1]
    count = max(_over_cap(rule, at_utc, attempts)[0], _over_cap(rule, minute, attempts)[0])
    allowed = in_hours and not count
    if allowed:
        upcoming, reason = local, ""
    else:
        upcoming = next_allowed(place, at_utc, chosen, attempts).astimezone(local.tzinfo)
        reason = (
            hours_reason(place, rule, local, chosen) if not in_hours else cap_reason(rule, count)
        )
    label = rule.code if places.zone(place.timezone) else "unknown_timezone"
    window = window_on(place, local.date(), chosen)
    return Decision(allowed, local, window, label, upcoming, reason)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def describe(zip_code: str, at: datetime | None = None) -> dict[str, object]:
    """The calling status of a ZIP as plain data, for the command line; at defaults to now."""
    place = places.locate(zip_code)
    if place is None:
        raise UnknownZip(f"unknown or malformed ZIP code: {zip_code!r}")
    decision = check(place, at if at is not None else datetime.now(UTC))
    window = decision.window
    return {
        "zip": place.zip,
        "state": place.state,
        "timezone": place.timezone,
        "local_time": _iso(decision.local_time),
        "allowed": decision.allowed,
        "window": [f"{window[0]:%H:%M}", f"{window[1]:%H:%M}"] if window else None,
        "rule": decision.rule,
        "next_allowed_at": _iso(decision.next_allowed_at),
    }
