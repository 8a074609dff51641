"""The callback queue: items in (once per request and phone), leases, the list staff see.

Claiming is ``claims.py``; what an outcome does is ``outcomes.py``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from intake import calling
from intake.models.base import utcnow
from intake.models.callback import OPEN_STATUSES as CALLBACK_OPEN
from intake.models.callback import CallbackRequest
from intake.models.queue import (
    CLAIMED,
    OPEN,
    QUEUED,
    RETRY,
    CallAttempt,
    QueueItem,
)
from intake.models.user import User
from intake.queueing import priority, promise
from intake.services.people import consent
from intake.services.people.contacts import phone_hash
from intake.services.people.inserts import insert_if_absent
from intake.services.queue import waiting

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=20)
# the outbox job that puts a callback request in the queue (``inbox/callbacks.py`` runs it)
TASK_ENQUEUE = "callbacks.enqueue"


def place_of(item: QueueItem) -> calling.Place:
    """Where the patient is, for the calling rules (state and zone are kept plain on the item)."""
    return calling.place_for(item.state, item.timezone)


def recent_attempts(session: Session, phone: str, now: datetime) -> list[datetime]:
    """Every attempt to this number in the last 24 hours, by anyone (the states' caps)."""
    return list(
        session.scalars(
            select(CallAttempt.started_at).where(
                CallAttempt.phone_hash == phone, CallAttempt.started_at > now - timedelta(days=1)
            )
        )
    )


def urgency_of(request: CallbackRequest) -> priority.Urgency:
    """What the request says about how soon it matters (stage 4, "as soon as possible", new)."""
    case_ = request.case
    return priority.Urgency(
        stage_4=bool(case_ and case_.stage == "4"),
        asap=request.best_time == "asap",
        recent_diagnosis=bool(case_ and case_.diagnosed_recently),
    )


def schedule(
    item: QueueItem,
    session: Session,
    after: datetime,
    chosen: str | None,
    promised: datetime | None = None,
) -> None:
    """Make the item callable from ``after`` when a call may start then, else the first minute
    the rules allow (rounding a callable moment up to the next minute would hold a new
    request back for up to a minute of its five-minute speed-to-lead target).  A first
    call's clock starts then too, or at the time ``promised`` to the person if that is
    later; a retry keeps the first call's clock (the dashboard's wait to the first call)."""
    recent = recent_attempts(session, item.phone_hash, after)
    place = place_of(item)
    if calling.check(place, after, chosen, recent).allowed:
        item.callable_from = after
    else:
        item.callable_from = calling.next_allowed(place, after, chosen, recent)
    if not item.attempts:
        item.clock_from = promise.clock_start(item.callable_from, promised or item.callable_from)
    item.rank_key = priority.rank_key(item.urgency, clock_of(item))


def clock_of(item: QueueItem) -> datetime:
    """Where the item's wait counts from: a first call's ``clock_from``, a retry's callable time."""
    return item.callable_from if item.attempts else item.clock_from


def promised_at(session: Session, item: QueueItem, now: datetime) -> datetime:
    """The moment the confirmation page promised someone asking at ``now`` (the same rule)."""
    return waiting.promise_for(session, place_of(item), item.best_time, now).at


def enqueue(session: Session, request: CallbackRequest, now: datetime | None = None) -> QueueItem:
    """The request's queue item: created once, or the open item for this phone.

    A person who asks again while a call is still owed gets no second call:
    the open item takes the newer preferences instead.  A request from
    another contact with the same number (a possible same person, or not)
    rides on the open call without changing it: its window, zone and
    urgency stay those of the person who asked first, and the request
    closes with that call.
    """
    now = now or utcnow()
    contact = request.contact
    assert contact.phone, "a callback request always has a phone number"
    digest = phone_hash(contact.phone)
    for _attempt in range(3):
        existing = session.scalars(
            select(QueueItem)
            .where(QueueItem.phone_hash == digest, QueueItem.status.in_(OPEN))
            .with_for_update()
        ).first()
        if existing is not None:
            if existing.contact_id == contact.id:
                refresh(session, existing, request, now)
            elif existing.callback_request_id != request.id:
                request.joined_item_id = existing.id
            return existing
        item = insert_if_absent(session, QueueItem, _new_item(request, digest, now))
        if item is not None:
            schedule(item, session, now, item.best_time, promised_at(session, item, now))
            session.flush()
            return item
        # lost a race: the request already has its item (a repeated job), or another
        # request for this number opened one a moment ago (then look again and join it)
        own = session.scalars(
            select(QueueItem).where(QueueItem.callback_request_id == request.id)
        ).first()
        if own is not None:
            return own
    raise RuntimeError("could not queue the request after concurrent inserts")


def _new_item(request: CallbackRequest, digest: str, now: datetime) -> dict[str, Any]:
    contact = request.contact
    return {
        "callback_request_id": request.id,
        "contact_id": contact.id,
        "phone_hash": digest,
        "consent_hash": consent.covers_hash("phone", contact.phone or ""),
        "status": QUEUED,
        "requested_at": request.created_at or now,
        "callable_from": now,
        "clock_from": now,
        "rank_key": 0.0,
        "urgency": urgency_of(request).minutes,
        "best_time": request.best_time,
        "language": request.language,
        "needs_va": bool(request.case and request.case.veteran),
        "state": request.case.state if request.case else None,
        "timezone": request.case.timezone if request.case else None,
        "attempts": 0,
    }


def refresh(session: Session, item: QueueItem, request: CallbackRequest, now: datetime) -> None:
    """A repeat ask updates the open item: its window, language and urgency; never a second call."""
    item.best_time, item.language = request.best_time, request.language
    item.urgency = max(item.urgency, urgency_of(request).minutes)
    if request.case is not None:
        item.needs_va = bool(request.case.veteran) or item.needs_va
        item.state, item.timezone = request.case.state, request.case.timezone
    if item.status != CLAIMED:
        first_clock = item.clock_from
        promised = None if item.attempts else promised_at(session, item, now)
        schedule(item, session, max(now, item.callable_from), item.best_time, promised)
        if not item.attempts and item.callable_from <= now:
            # still callable: asking again does not reset how long the call has been owed
            item.clock_from = min(item.clock_from, first_clock)
            item.rank_key = priority.rank_key(item.urgency, item.clock_from)
    session.flush()


def close(session: Session, item: QueueItem, status: str, reason: str, now: datetime) -> None:
    """End an item (completed, exhausted, cancelled); its request, and every request riding on
    it, closes with it."""
    item.status, item.close_reason, item.closed_at = status, reason, now
    item.claimed_by_id = item.lease_expires_at = None
    item.callback_request.status = "closed"
    session.execute(
        update(CallbackRequest)
        .where(
            CallbackRequest.joined_item_id == item.id,
            CallbackRequest.status.in_(CALLBACK_OPEN),
        )
        .values(status="closed")
    )
    session.flush()


def riding_on(session: Session, item: QueueItem) -> list[CallbackRequest]:
    """Other contacts' requests answered by this item's call (the same number)."""
    return list(
        session.scalars(
            select(CallbackRequest)
            .where(CallbackRequest.joined_item_id == item.id)
            .order_by(CallbackRequest.id)
        )
    )


def renew(session: Session, item: QueueItem, advocate: User, now: datetime | None = None) -> bool:
    """Extend the claim while its advocate works the lead; False if it is not theirs any more."""
    now = now or utcnow()
    if item.status != CLAIMED or item.claimed_by_id != advocate.id:
        return False
    item.lease_expires_at = now + LEASE
    session.flush()
    return True


def release(session: Session, item: QueueItem, advocate: User) -> bool:
    """Give a claimed item back to the queue untouched (the advocate cannot call now)."""
    if item.status != CLAIMED or item.claimed_by_id != advocate.id:
        return False
    item.status = RETRY if item.attempts else QUEUED
    item.claimed_by_id = item.claimed_at = item.lease_expires_at = None
    session.flush()
    return True


def expire_leases(session: Session, now: datetime | None = None) -> int:
    """Return abandoned claims to the queue (beat, every minute); how many."""
    now = now or utcnow()
    result = session.execute(
        update(QueueItem)
        .where(QueueItem.status == CLAIMED, QueueItem.lease_expires_at < now)
        .values(
            status=case((QueueItem.attempts > 0, RETRY), else_=QUEUED),
            claimed_by_id=None,
            claimed_at=None,
            lease_expires_at=None,
        )
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    if count:
        log.info("queue: %d expired claim(s) returned to the queue", count)
    return count


def open_items(session: Session, limit: int = 500) -> list[QueueItem]:
    """Open items in claim order (waiting callable now first), for the console and the CLI."""
    now = utcnow()
    items = list(
        session.scalars(
            select(QueueItem).where(QueueItem.status.in_(OPEN)).order_by(QueueItem.id).limit(limit)
        )
    )
    return sorted(items, key=lambda item: sort_key(item, now))


def sort_key(item: QueueItem, now: datetime) -> tuple[Any, ...]:
    """Claimed first, then callable now by priority, then waiting by when they become callable."""
    if item.status == CLAIMED:
        return (0, 0, item.claimed_at or now)
    if item.callable_from <= now:
        first, past, score = priority.priority(item.attempts, item.urgency, clock_of(item), now)
        return (1, -first, -past, -score, item.requested_at)
    return (2, item.callable_from, item.requested_at)


def is_late(item: QueueItem, now: datetime) -> bool:
    """A first call still waiting past the target, counted from ``clock_from``."""
    return item.status != CLAIMED and priority.sla_breached(item.attempts, item.clock_from, now)


def priority_score(item: QueueItem, now: datetime) -> float:
    """The priority as one number, for the command line's list (larger is called first)."""
    first, past, score = priority.priority(item.attempts, item.urgency, clock_of(item), now)
    if item.callable_from > now:
        return 0.0
    return round(first * 100_000 + past * 10_000 + min(score, 9_999.0), 1)


def priority_words(item: QueueItem, now: datetime) -> str:
    """The priority as an advocate reads it: 'waiting 12 min past target', 'due in 5 min'."""
    return priority.words(item.attempts, clock_of(item), now)
