"""Advocates' shifts: who is working at an instant, and when someone next is.

A shift is days of the week and hours in the advocate's own time zone, e.g.
``{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:30"}`` (Monday is
0).  Staffing never changes when a call is allowed (``callable_from``); it
changes what the confirmation page can honestly promise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Shift:
    """Working hours on some weekdays, in one zone."""

    days: frozenset[int]
    start: time
    end: time
    zone: str

    def covers(self, at: datetime) -> bool:
        """True when ``at`` falls in this shift."""
        local = at.astimezone(_zone(self.zone))
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def starts_after(self, at: datetime, horizon_days: int = 8) -> datetime | None:
        """The next start of this shift at or after ``at`` (UTC), within the horizon."""
        zone = _zone(self.zone)
        local = at.astimezone(zone)
        for offset in range(horizon_days):
            day = (local + timedelta(days=offset)).date()
            if day.weekday() not in self.days:
                continue
            begin = datetime.combine(day, self.start, tzinfo=zone)
            end = datetime.combine(day, self.end, tzinfo=zone)
            if end <= at:
                continue
            return max(begin, at).astimezone(UTC)
        return None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("America/New_York")


def parse_shifts(raw: Iterable[dict[str, Any]], zone: str) -> list[Shift]:
    """Shifts as stored on a staff account; malformed entries are skipped."""
    shifts = []
    for entry in raw or ():
        try:
            days = frozenset(int(d) for d in entry["days"] if 0 <= int(d) <= 6)
            start, end = time.fromisoformat(entry["start"]), time.fromisoformat(entry["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if days and start < end:
            shifts.append(Shift(days, start, end, zone))
    return shifts


def on_shift(shifts: Sequence[Shift], at: datetime) -> bool:
    """True when any of these shifts covers ``at``."""
    return any(shift.covers(at) for shift in shifts)


def next_staffed(all_shifts: Sequence[Shift], at: datetime) -> datetime | None:
    """The first instant at or after ``at`` when someone is working, or None if nobody ever is."""
    starts = [s for s in (shift.starts_after(at) for shift in all_shifts) if s is not None]
    return min(starts) if starts else None


def describe(raw: Iterable[dict[str, Any]]) -> str:
    """'Mon-Fri 09:00-17:30' for a staff page."""
    parts = []
    for entry in raw or ():
        days = sorted(int(d) for d in entry.get("days", ()))
        if not days:
            continue
        names = (
            f"{DAY_NAMES[days[0]]}-{DAY_NAMES[days[-1]]}"
            if days == list(range(days[0], days[-1] + 1)) and len(days) > 2
            else ", ".join(DAY_NAMES[d] for d in days)
        )
        parts.append(f"{names} {entry.get('start', '')}-{entry.get('end', '')}")
    return "; ".join(parts) or "no shifts set"


_DAY_INDEX = {name.lower(): index for index, name in enumerate(DAY_NAMES)}


def parse_line(text: str) -> dict[str, Any]:
    """'Mon-Fri 09:00-17:30' or 'Sat, Sun 10:00-14:00' as a stored shift; ValueError says why."""
    try:
        days_part, hours = text.strip().rsplit(" ", 1)
        start_text, end_text = hours.split("-")
        start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    except ValueError:
        raise ValueError(f"{text!r}: write days then hours, like Mon-Fri 09:00-17:30") from None
    if start >= end:
        raise ValueError(f"{text!r}: the shift must end after it starts")
    days: set[int] = set()
    for chunk in days_part.replace(",", " ").split():
        first, _, last = chunk.lower().partition("-")
        if first[:3] not in _DAY_INDEX or (last and last[:3] not in _DAY_INDEX):
            raise ValueError(f"{text!r}: days are Mon, Tue, Wed, Thu, Fri, Sat, Sun")
        lo, hi = _DAY_INDEX[first[:3]], _DAY_INDEX[(last or first)[:3]]
        days.update(range(lo, hi + 1) if lo <= hi else [*range(lo, 7), *range(0, hi + 1)])
    return {"days": sorted(days), "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}


def parse_hours(text: str) -> list[Shift]:
    """The organisation's staffed hours, 'Mon-Fri 08:00-20:00 America/New_York' (more day
    parts may be joined with ';', the zone comes last); ValueError says what is wrong."""
    body, _, zone = text.strip().rpartition(" ")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{text!r}: end with a time zone, like Mon-Fri 08:00-20:00 America/New_York"
        ) from None
    parts = [parse_line(part) for part in body.split(";") if part.strip()]
    if not parts:
        raise ValueError(f"{text!r}: give days and hours, like Mon-Fri 08:00-20:00 {zone}")
    return parse_shifts(parts, zone)
