"""What the confirmation page can honestly promise about when the call will come.

The rule is ``intake.queueing.promise``; this module feeds it what the
database knows (every advocate's shifts, who is on shift now, the queue
ahead, the last hour's pace) and the ``STAFFED_HOURS`` setting for when no
shifts are set, then says it in a sentence in the person's own time.  The
same promised moment starts the item's speed-to-lead clock
(``queue.enqueue``), so what the page says and what counts as late agree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import current_app, has_app_context
from flask_babel import get_locale, gettext, ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake import calling
from intake.calling import public_text
from intake.config import DEFAULT_STAFFED_HOURS
from intake.models.base import utcnow
from intake.models.queue import WAITING, QueueItem
from intake.queueing import promise, shifts
from intake.services.queue import staffing


def staffed_hours() -> list[shifts.Shift]:
    """The organisation's staffed hours (``STAFFED_HOURS``, checked when the app starts)."""
    text = current_app.config.get("STAFFED_HOURS") if has_app_context() else None
    return shifts.parse_hours(text or DEFAULT_STAFFED_HOURS)


def staffing_at(session: Session, now: datetime) -> promise.Staffing:
    """Everything the promise may rest on, read now."""
    team = staffing.advocates(session)
    team_shifts = [shift for user in team for shift in staffing.shifts_of(user)]
    working = sum(1 for user in team if shifts.on_shift(staffing.shifts_of(user), now))
    ahead = session.scalar(
        select(func.count())
        .select_from(QueueItem)
        .where(QueueItem.status.in_(WAITING), QueueItem.callable_from <= now)
    )
    taken = session.scalar(
        select(func.count())
        .select_from(QueueItem)
        .where(QueueItem.claimed_at >= now - timedelta(hours=1))
    )
    return promise.Staffing(team_shifts, staffed_hours(), working, ahead or 0, taken or 0)


def _allowed(place: calling.Place, chosen: str | None) -> Callable[[datetime], datetime]:
    return lambda moment: calling.next_allowed(place, moment, chosen)


def promise_for(
    session: Session, place: calling.Place, chosen: str | None, now: datetime
) -> promise.Promise:
    """What we may promise someone at ``place`` who asks at ``now``."""
    return promise.promise(now, _allowed(place, chosen), staffing_at(session, now))


def first_call_at(
    session: Session, place: calling.Place, chosen: str | None, now: datetime
) -> datetime:
    """The first allowed minute at which someone is also working (``now`` if that is now)."""
    return promise_for(session, place, chosen, now).at


def expectation(session: Session, place: calling.Place, chosen: str | None,
                now: datetime | None = None) -> str:  # fmt: skip
    """One plain sentence (two without shifts) for the confirmation page, in its language."""
    now = now or utcnow()
    kept = promise_for(session, place, chosen, now)
    hours = (
        ""
        if kept.from_shifts
        else " " + gettext("Our advocates work %(hours)s.", hours=hours_words())
    )
    if kept.is_now(now):
        if kept.minutes is not None:
            return gettext(
                "A patient advocate will call you soon, usually within %(minutes)s minutes.",
                minutes=kept.minutes,
            )
        if kept.from_shifts:
            return gettext("A patient advocate will call you today, as soon as one is free.")
        return gettext("A patient advocate will call you as soon as one is free.") + hours
    moment = reader_when(kept.at, place, now)
    if place.timezone:
        local = now.astimezone(ZoneInfo(place.timezone))
        # the hour is a number in Spanish grammar: "es la 1:30", "son las 11:30"
        return (
            ngettext(
                "It is %(now)s where you are, so a patient advocate will call you %(moment)s.",
                "It is %(now)s where you are, so a patient advocate will call you %(moment)s.",
                _hour(local),
                now=_clock(local),
                moment=moment,
            )
            + hours
        )
    return gettext("A patient advocate will call you %(moment)s.", moment=moment) + hours


def hours_words() -> str:
    """The staffed hours as a caller reads them, in the page's language."""
    return promise.hours_words(staffed_hours(), gettext, _said_time)


def calling_hours(place: calling.Place) -> str:
    """The caller's state calling hours as one sentence, in the page's language."""
    return public_text.hours_sentence(place, gettext, _said_time)


def _said_time(moment: time) -> str:
    """A time of day as the reader writes it: "8:00 AM" and "noon", or "8:00 a.m." in Spanish."""
    if _babel_locale() == "en_US":
        return public_text.english_clock(moment)
    said = format_time(moment, "h:mm a", locale=_babel_locale())
    return said.replace(" ", "\u00a0")


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
