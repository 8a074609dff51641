"""What we may promise a caller about when the call comes, from what we actually know.

    promise(now, allowed, staffing) -> Promise(at, minutes, from_shifts)

``at`` is the first minute the calling rules allow (``allowed``: the
person's zone, state and chosen window, from ``intake.calling``) at which
someone is also working.  Who is working comes from the advocates' shifts;
when nobody has a shift set we know nothing about who works when, so the
organisation's staffed hours (the ``STAFFED_HOURS`` setting) stand in.

``minutes`` ("usually within 15 minutes") is promised only when the call
can come now, the shifts say someone is working now, and the queue ahead
and the last hour's pace make it a promise we can keep.  Staffed hours
alone never give a number of minutes: they say when people are meant to
work, not that anyone is at a desk.

The promised moment also starts the speed-to-lead clock (``clock_from`` on
a queue item): a call promised "after 9:00 AM" is not late at 8:51.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from intake.queueing import shifts

PROMISE_STEPS = (10, 15, 30, 60)  # minutes we may promise, rounded up to the next step
SEARCH_STEPS = 14  # alternations of "next allowed" and "next staffed" before giving up
NOW_SLACK = timedelta(minutes=1)  # the calling rules work in whole minutes
QUIET_QUEUE_MINUTES = 5  # someone on shift and free, nobody ahead, no pace yet


@dataclass(frozen=True)
class Staffing:
    """What we know about who works: the team's shifts, the setting, and the queue now."""

    team_shifts: Sequence[shifts.Shift]  # every active advocate's shifts; empty = none set
    staffed_hours: Sequence[shifts.Shift]  # the organisation's hours, for when none are set
    on_shift_now: int = 0  # advocates whose shift covers now
    ahead: int = 0  # first calls and retries waiting that could be called now
    taken_last_hour: int = 0  # calls claimed in the last hour: the pace


@dataclass(frozen=True)
class Promise:
    """When a call can come, and how sure we are of the wait once it can."""

    at: datetime  # the first minute allowed and staffed (== now, or close, when that is now)
    minutes: int | None  # a step of PROMISE_STEPS, only from shift data and a queue we know
    from_shifts: bool  # False: nobody has shifts set, so the staffed hours decided

    def is_now(self, now: datetime) -> bool:
        """True when the call may come at once (within the rules' minute)."""
        return self.at - now < NOW_SLACK


def first_staffed(
    now: datetime, allowed: Callable[[datetime], datetime], hours: Sequence[shifts.Shift]
) -> datetime:
    """The first minute at or after ``now`` that the rules allow and someone works."""
    moment = allowed(now)
    if not hours:
        return moment
    for _ in range(SEARCH_STEPS):
        if shifts.on_shift(hours, moment):
            return moment
        staffed = shifts.next_staffed(hours, moment)
        if staffed is None:
            return moment
        moment = allowed(staffed)
    return moment


def minutes_to_wait(staffing: Staffing) -> int | None:
    """Minutes the queue ahead takes at the last hour's pace; None when we cannot tell."""
    if staffing.on_shift_now <= 0:
        return None
    if staffing.taken_last_hour:
        return math.ceil((staffing.ahead + 1) / (staffing.taken_last_hour / 60.0))
    return QUIET_QUEUE_MINUTES if staffing.ahead == 0 else None


def promise(now: datetime, allowed: Callable[[datetime], datetime], staffing: Staffing) -> Promise:
    """The promise for a caller asking at ``now`` (see the module docstring)."""
    from_shifts = bool(staffing.team_shifts)
    hours = staffing.team_shifts if from_shifts else staffing.staffed_hours
    at = first_staffed(now, allowed, hours)
    minutes = None
    if from_shifts and at - now < NOW_SLACK:
        wait = minutes_to_wait(staffing)
        minutes = next((s for s in PROMISE_STEPS if wait is not None and wait <= s), None)
    return Promise(at, minutes, from_shifts)


def clock_start(requested: datetime, promised: datetime) -> datetime:
    """Where the speed-to-lead clock starts: the later of the request and the promised time."""
    return max(requested, promised)


def _(message: str) -> str:
    """Marks a msgid for the catalogue; the caller's gettext translates it when it is said."""
    return message


_DAYS = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"),
         _("Sunday"))  # fmt: skip
_ZONE_WORDS = {
    "America/New_York": _("Eastern time"),
    "America/Chicago": _("Central time"),
    "America/Denver": _("Mountain time"),
    "America/Phoenix": _("Arizona time"),
    "America/Los_Angeles": _("Pacific time"),
    "America/Anchorage": _("Alaska time"),
    "Pacific/Honolulu": _("Hawaii time"),
}


def _english_clock(moment: time) -> str:
    return moment.strftime("%-I:%M %p")


def _days_words(days: frozenset[int], gettext: Callable[[str], str]) -> str:
    ordered = sorted(days)
    names = [gettext(_DAYS[day]) for day in ordered]
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return gettext(_("%(first)s to %(last)s")) % {"first": names[0], "last": names[-1]}
    if len(names) == 1:
        return names[0]
    return gettext(_("%(some)s and %(last)s")) % {"some": ", ".join(names[:-1]), "last": names[-1]}


def hours_words(
    hours: Sequence[shifts.Shift],
    gettext: Callable[[str], str] = str,
    clock: Callable[[time], str] = _english_clock,
) -> str:
    """'Monday to Friday, 8:00 AM to 8:00 PM Eastern time', for a caller to read.

    In the reader's language when given its ``gettext`` and ``clock``: the
    words come from the caller, as in ``matching.wording``, so this stays pure.
    """
    if not hours:
        return ""
    zone = hours[0].zone
    parts = [
        gettext(_("%(days)s, %(start)s to %(end)s"))
        % {
            "days": _days_words(shift.days, gettext),
            "start": clock(shift.start),
            "end": clock(shift.end),
        }  # fmt: skip
        for shift in hours
    ]
    if zone in _ZONE_WORDS:
        zone_words = gettext(_ZONE_WORDS[zone])
    else:
        zone_words = gettext(_("%(zone)s time")) % {"zone": zone.replace("_", " ")}
    return "; ".join(parts) + " " + zone_words
