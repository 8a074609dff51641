"""The admin dashboard's figures, read from the database for a range of days.

Every query reads timestamps and states only (never a name, number or
address) and works on PostgreSQL and on the SQLite demo alike: rows are
bucketed into the team's calendar days in Python (``intake.dashboard``),
which also keeps day boundaries right across daylight-saving changes.
A quarter of rows is small: a few thousand timestamps at most.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from intake.dashboard import figures
from intake.dashboard.figures import DayRange
from intake.dashboard.panels import EMAIL_STATES, FORMS, ContactDay, Figures, PartnerLeads
from intake.models.base import utcnow
from intake.models.email import EmailDelivery
from intake.models.queue import CLOSED, OPEN, CallAttempt, QueueItem
from intake.models.submission import Submission
from intake.queueing import priority
from intake.services.directory import specialist_admin
from intake.services.queue import sla

# outcomes where the advocate spoke with the person who asked (or their family, for
# "deceased"); wrong numbers, voicemails and no answers did not reach them
SPOKE_WITH_PERSON = ("reached", "call_back_later", "do_not_call", "deceased")

# Where partner leads will come from: each source gives {partner: counts per day}.  None
# exists yet (the partner API is issue 12's next item); adding one here fills the panel.
PartnerSource = Callable[[Session, DayRange], dict[str, list[int]]]
PARTNER_SOURCES: dict[str, PartnerSource] = {}


def build(session: Session, days: DayRange, now: datetime | None = None) -> Figures:
    """Every figure the dashboard shows for these days, as plain values."""
    now = now or utcnow()
    target = priority.SPEED_TO_LEAD_TARGET.total_seconds() / 60
    delays, contact = _calls(session, days, target)
    depth_day = min(days.last, days.day_of(now))
    hours = [hour for hour in figures.hours_of(depth_day, days.zone) if hour <= now]
    live = depth_day == days.day_of(now)  # today: the hours so far, then now itself
    depth = _depth(session, [*hours, now] if live else hours)
    depth_now = depth.pop() if live else None
    return Figures(
        days=days, now=now,
        requests=_requests(session, days),
        delays=delays, target_minutes=target, contact=contact,
        queue_now=_queue_now(session), late_now=sla.late_now(session, now),
        depth_day=depth_day, depth_hours=[h.astimezone(days.zone) for h in hours],
        depth=depth, depth_now=depth_now,
        emails=_emails(session, days),
        breaches=figures.per_day(days, _column(session, QueueItem.sla_breached_at, days)),
        partners=partner_leads(session, days),
        listings=specialist_admin.listing_counts(session),
    )  # fmt: skip


def _column(session: Session, column: object, days: DayRange) -> list[datetime]:
    """One timestamp column's values inside the range."""
    return list(
        session.scalars(select(column).where(column >= days.start(), column < days.end()))  # type: ignore[call-overload, operator]
    )


def _requests(session: Session, days: DayRange) -> dict[str, list[int]]:
    """Forms received per day, from the inbox (one row per form, double submits folded)."""
    rows = session.execute(
        select(Submission.form, Submission.received_at).where(
            Submission.received_at >= days.start(), Submission.received_at < days.end()
        )
    ).all()
    return {
        form: figures.per_day(days, (at for kind, at in rows if kind == form)) for form, _ in FORMS
    }


def _calls(
    session: Session, days: DayRange, target: float
) -> tuple[list[figures.DelayDay], list[ContactDay]]:
    """Per request day: waits to the first call, and how many calls reached the person."""
    spoke = func.max(case((CallAttempt.outcome.in_(SPOKE_WITH_PERSON), 1), else_=0))
    rows = session.execute(
        select(
            QueueItem.requested_at, func.min(CallAttempt.started_at),
            func.count(CallAttempt.id), spoke, func.min(QueueItem.clock_from),
        )
        .outerjoin(CallAttempt, CallAttempt.queue_item_id == QueueItem.id)
        .where(QueueItem.requested_at >= days.start(), QueueItem.requested_at < days.end())
        .group_by(QueueItem.id, QueueItem.requested_at)
    ).all()  # fmt: skip
    # the wait counts from the item's clock, as the console's and the alert's lateness do
    delays = figures.delays_per_day(
        days,
        ((requested, first, clock) for requested, first, _n, _s, clock in rows if first),
        target,
    )
    requested = figures.per_day(days, (row[0] for row in rows))
    called = figures.per_day(days, (row[0] for row in rows if row[2]))
    reached = figures.per_day(days, (row[0] for row in rows if row[3]))
    contact = [
        ContactDay(day, *counts)
        for day, counts in zip(days.days(), zip(requested, called, reached, strict=True),
                               strict=True)
    ]  # fmt: skip
    return delays, contact


def _queue_now(session: Session) -> dict[str, int]:
    """Open queue items by status, right now."""
    rows = session.execute(
        select(QueueItem.status, func.count())
        .where(QueueItem.status.in_(OPEN))
        .group_by(QueueItem.status)
    ).all()
    counts = dict.fromkeys(OPEN, 0)
    counts.update({status: count for status, count in rows})
    return counts


def _depth(session: Session, hours: list[datetime]) -> list[int]:
    """Open items at each hour, rebuilt from when each item was created and closed.

    Earlier claims are not kept (an item holds only its latest), so this
    counts open items, not their status at the time.
    """
    if not hours:
        return []
    first, last = hours[0], hours[-1]
    rows = session.execute(
        select(QueueItem.created_at, QueueItem.closed_at, QueueItem.status, QueueItem.updated_at)
        .where(QueueItem.created_at <= last)
        .where(or_(QueueItem.closed_at.is_(None), QueueItem.closed_at > first))
    ).all()
    spans = [
        (created, closed or (updated if status in CLOSED else None))
        for created, closed, status, updated in rows
    ]
    return figures.open_at(hours, spans)


def _emails(session: Session, days: DayRange) -> dict[str, list[int]]:
    """Emails per day owed, by how each ended (sent, failed, suppressed)."""
    rows = session.execute(
        select(EmailDelivery.status, EmailDelivery.created_at).where(
            EmailDelivery.created_at >= days.start(), EmailDelivery.created_at < days.end()
        )
    ).all()
    return {
        state: figures.per_day(days, (at for status, at in rows if status == state))
        for state, _ in EMAIL_STATES
    }


def partner_leads(session: Session, days: DayRange) -> PartnerLeads:
    """Partner leads from every source there is; today none (the panel says so)."""
    by_partner: dict[str, list[int]] = {}
    for source in PARTNER_SOURCES.values():
        by_partner.update(source(session, days))
    return PartnerLeads(tuple(PARTNER_SOURCES), by_partner)


def today(zone: ZoneInfo, now: datetime | None = None) -> date:
    """The team's calendar day now: the default last day of the range."""
    return (now or utcnow()).astimezone(zone).date()
