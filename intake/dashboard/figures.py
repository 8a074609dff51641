"""Turning timestamps into the dashboard's figures: days in the staff's zone, percentiles, depth.

Days are calendar days in one named time zone (the team's, ``STAFF_TIMEZONE``)
so "Tuesday" on the dashboard is the Tuesday the advocates worked, not a
UTC day that ends at 7 PM in New York.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 92  # a quarter: enough for a trend, small enough to draw and to query
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class DayRange:
    """Calendar days ``first``..``last`` inclusive, in one time zone."""

    first: date
    last: date
    zone: ZoneInfo

    @classmethod
    def ending(cls, last: date, days: int, zone: ZoneInfo) -> DayRange:
        """The ``days`` days up to and including ``last``."""
        return cls(last - timedelta(days=days - 1), last, zone)

    def days(self) -> list[date]:
        """Every day in the range, oldest first."""
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def start(self) -> datetime:
        """The first instant of the range, in UTC (for queries on UTC columns)."""
        return midnight(self.first, self.zone)

    def end(self) -> datetime:
        """The instant just after the range, in UTC."""
        return midnight(self.last + timedelta(days=1), self.zone)

    def day_of(self, moment: datetime) -> date:
        """The local calendar day of a stored UTC instant."""
        return moment.astimezone(self.zone).date()


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight starting ``day``, as a UTC instant (DST days are 23 or 25 hours)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def per_day(days: DayRange, moments: Iterable[datetime]) -> list[int]:
    """How many of the moments fall on each day of the range (others are ignored)."""
    index = {day: n for n, day in enumerate(days.days())}
    counts = [0] * len(index)
    for moment in moments:
        slot = index.get(days.day_of(moment))
        if slot is not None:
            counts[slot] += 1
    return counts


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th quantile (0..1) with linear interpolation, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class DelayDay:
    """One day's waits from request to first call, in minutes."""

    day: date
    calls: int
    median: float | None
    p90: float | None
    over_target: int


def delays_per_day(
    days: DayRange, pairs: Iterable[tuple[datetime, ...]], target_minutes: float
) -> list[DelayDay]:
    """Median and 90th percentile wait per request day, from (requested, first call) pairs.

    A third value is where the wait starts when that is not the request: the
    queue's ``clock_from`` (a call promised "after 9:00 AM" waits from 9:00).
    """
    waits: dict[date, list[float]] = {day: [] for day in days.days()}
    for requested, called, *clock in pairs:
        bucket = waits.get(days.day_of(requested))
        start = clock[0] if clock else requested
        if bucket is not None:
            bucket.append(max(0.0, (called - start).total_seconds() / 60))
    return [
        DelayDay(day, len(w), percentile(w, 0.5), percentile(w, 0.9),
                 sum(1 for m in w if m > target_minutes))
        for day, w in waits.items()
    ]  # fmt: skip


def rate(part: int, whole: int) -> float | None:
    """A share in percent, or None when there is nothing to share out."""
    return round(100 * part / whole, 1) if whole else None


def hours_of(day: date, zone: ZoneInfo) -> list[datetime]:
    """The top of every local hour of ``day`` (23 or 25 on DST days), as UTC instants."""
    start, end = midnight(day, zone), midnight(day + timedelta(days=1), zone)
    return [start + timedelta(hours=n) for n in range(int((end - start).total_seconds() // 3600))]


def open_at(
    moments: Sequence[datetime], spans: Iterable[tuple[datetime, datetime | None]]
) -> list[int]:
    """How many spans (opened, closed or None if still open) were open at each moment."""
    counts = [0] * len(moments)
    for opened, closed in spans:
        for n, moment in enumerate(moments):
            if opened <= moment and (closed is None or closed > moment):
                counts[n] += 1
    return counts
