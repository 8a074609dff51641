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
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake import calling
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
    """One plain sentence (two without shifts) for the confirmation page."""
    now = now or utcnow()
    kept = promise_for(session, place, chosen, now)
    hours = "" if kept.from_shifts else f" Our advocates work {hours_words()}."
    if kept.is_now(now):
        if kept.minutes is not None:
            return f"A patient advocate will call you soon, usually within {kept.minutes} minutes."
        if kept.from_shifts:
            return "A patient advocate will call you today, as soon as one is free."
        return "A patient advocate will call you as soon as one is free." + hours
    moment = when(kept.at, place, now)
    if place.timezone:
        local = now.astimezone(ZoneInfo(place.timezone)).strftime("%-I:%M %p")
        return f"It is {local} where you are, so a patient advocate will call you {moment}." + hours
    return f"A patient advocate will call you {moment}." + hours


def hours_words() -> str:
    """The staffed hours as a caller reads them: 'Monday to Friday, 8:00 AM to 8:00 PM ...'."""
    return promise.hours_words(staffed_hours())


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
