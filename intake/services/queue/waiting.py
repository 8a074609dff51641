"""What the confirmation page can honestly promise about when the call will come.

The first moment a call can come is the first minute the calling rules allow
(hours in the person's zone, their state's law, the window they chose) at
which an advocate is also working.  If that is now, the estimate comes from
the queue ahead and how fast advocates have been taking calls in the last
hour, rounded up to a step we can keep ("usually within 15 minutes");
otherwise it names that moment in the person's own time ("tomorrow after
8:00 AM your time").  It never promises what the queue cannot keep.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask_babel import get_locale, gettext, ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake import calling
from intake.models.base import utcnow
from intake.models.queue import WAITING, QueueItem
from intake.queueing import shifts
from intake.services.queue import staffing

PROMISE_STEPS = (10, 15, 30, 60)  # minutes we may promise, rounded up to the next step
SEARCH_STEPS = 14


def first_call_at(
    session: Session, place: calling.Place, chosen: str | None, now: datetime
) -> datetime:
    """The first allowed minute at which someone is also working (``now`` if that is now)."""
    team_shifts = staffing.all_shifts(session)
    moment = calling.next_allowed(place, now, chosen)
    if not team_shifts:  # no shifts set: staffing unknown, so the rules alone decide
        return moment
    for _ in range(SEARCH_STEPS):
        if shifts.on_shift(team_shifts, moment):
            return moment
        staffed = shifts.next_staffed(team_shifts, moment)
        if staffed is None:
            return moment
        moment = calling.next_allowed(place, staffed, chosen)
    return moment


def minutes_to_wait(session: Session, now: datetime) -> int | None:
    """Minutes the queue ahead will take at the last hour's pace, None when there is no pace."""
    ahead = (
        session.scalar(
            select(func.count())
            .select_from(QueueItem)
            .where(QueueItem.status.in_(WAITING), QueueItem.callable_from <= now)
        )
        or 0
    )
    claimed = (
        session.scalar(
            select(func.count())
            .select_from(QueueItem)
            .where(QueueItem.claimed_at >= now - timedelta(hours=1))
        )
        or 0
    )
    if claimed == 0:
        return None if ahead else 5
    return math.ceil((ahead + 1) / (claimed / 60.0))


def expectation(session: Session, place: calling.Place, chosen: str | None,
                now: datetime | None = None) -> str:  # fmt: skip
    """One plain sentence for the confirmation page, in the page's language."""
    now = now or utcnow()
    first = first_call_at(session, place, chosen, now)
    if first - now < timedelta(minutes=1):
        minutes = minutes_to_wait(session, now)
        step = next((s for s in PROMISE_STEPS if minutes is not None and minutes <= s), None)
        if step is not None:
            return gettext(
                "A patient advocate will call you soon, usually within %(minutes)s minutes.",
                minutes=step,
            )
        return gettext("A patient advocate will call you today, as soon as one is free.")
    moment = reader_when(first, place, now)
    if place.timezone:
        local = now.astimezone(ZoneInfo(place.timezone))
        # the hour is a number in Spanish grammar: "es la 1:30", "son las 11:30"
        return ngettext(
            "It is %(now)s where you are, so a patient advocate will call you %(moment)s.",
            "It is %(now)s where you are, so a patient advocate will call you %(moment)s.",
            _hour(local),
            now=_clock(local),
            moment=moment,
        )
    return gettext("A patient advocate will call you %(moment)s.", moment=moment)


def when(moment: datetime, place: calling.Place, now: datetime, whose: str = "your") -> str:
    """'today after 2:30 PM your time', 'tomorrow after 8:00 AM your time', 'on Monday ...'.

    Without a known zone the time is given in Eastern time, and said so.
    ``whose`` is "their" when an advocate reads it.
    """
    zone = ZoneInfo(place.timezone) if place.timezone else ZoneInfo("America/New_York")
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    if local.date() == today:
        day = "today"
    elif local.date() == today + timedelta(days=1):
        day = "tomorrow"
    else:
        day = f"on {local.strftime('%A')}"
    where = f"{whose} time" if place.timezone else "Eastern time"
    return f"{day} after {local.strftime('%-I:%M %p')} {where}"


def reader_when(moment: datetime, place: calling.Place, now: datetime) -> str:
    """``when`` for the person who asked, in the page's language ("mañana a partir de las...")."""
    zone = ZoneInfo(place.timezone) if place.timezone else ZoneInfo("America/New_York")
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    hour, time = _hour(local), _clock(local)
    if local.date() == today:
        if place.timezone:
            return ngettext(
                "today after %(time)s your time", "today after %(time)s your time", hour, time=time
            )
        return ngettext(
            "today after %(time)s Eastern time",
            "today after %(time)s Eastern time",
            hour,
            time=time,
        )
    if local.date() == today + timedelta(days=1):
        if place.timezone:
            return ngettext(
                "tomorrow after %(time)s your time",
                "tomorrow after %(time)s your time",
                hour,
                time=time,
            )
        return ngettext(
            "tomorrow after %(time)s Eastern time",
            "tomorrow after %(time)s Eastern time",
            hour,
            time=time,
        )
    day = format_date(local, "EEEE", locale=_babel_locale())
    if place.timezone:
        return ngettext(
            "on %(day)s after %(time)s your time",
            "on %(day)s after %(time)s your time",
            hour,
            day=day,
            time=time,
        )
    return ngettext(
        "on %(day)s after %(time)s Eastern time",
        "on %(day)s after %(time)s Eastern time",
        hour,
        day=day,
        time=time,
    )


def _babel_locale() -> str:
    """Spanish as US Hispanic readers write the time ("8:00 a.m."); English otherwise."""
    locale = get_locale()
    return "es_US" if locale is not None and locale.language == "es" else "en_US"


def _clock(local: datetime) -> str:
    if _babel_locale() == "en_US":  # exactly as before: "8:00 AM", with a plain space
        return local.strftime("%-I:%M %p")
    said = format_time(local, "h:mm a", tzinfo=local.tzinfo, locale=_babel_locale())
    return said.replace(" ", "\u00a0")  # "2:28 a.m." never broken across two lines


def _hour(local: datetime) -> int:
    """The hour as said on a 12-hour clock, for the grammar of the sentence around it."""
    return local.hour % 12 or 12
