"""The callback queue: items in, claim-next with leases, leases back, the list staff see.

Claiming is one statement per candidate: the best waiting item for this
advocate is selected with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (so 50
advocates pressing "claim next" at once each get a different item, and none
waits for another), then stamped with a guarded UPDATE that only succeeds
while the item is still waiting (which is what keeps SQLite, without row
locks, correct too).  The calling rules, the consent ledger and the
state's attempt cap are checked again at claim time, not only when the item
was queued: a window may have closed or a consent been revoked since.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, false, literal, not_, or_, select, update
from sqlalchemy.orm import Session

from intake import calling
from intake.models.base import utcnow
from intake.models.callback import CallbackRequest
from intake.models.consent import PURPOSE_ADVOCATE_CALLS
from intake.models.queue import (
    CANCELLED,
    CLAIMED,
    OPEN,
    QUEUED,
    RETRY,
    WAITING,
    CallAttempt,
    QueueItem,
)
from intake.models.user import User
from intake.queueing import priority
from intake.services import consent
from intake.services.contacts import phone_hash
from intake.services.inserts import insert_if_absent

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=20)
SKILL_RELAX = timedelta(minutes=3)  # then anyone may take an item needing a skill they lack
PREFERRED_RELAX = timedelta(minutes=15)  # a scheduled call back waits this long for its advocate
CLAIM_TRIES = 20


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


def schedule(item: QueueItem, session: Session, after: datetime, chosen: str | None) -> None:
    """Make the item callable from the first minute the rules allow at or after ``after``."""
    recent = recent_attempts(session, item.phone_hash, after)
    item.callable_from = calling.next_allowed(place_of(item), after, chosen, recent)
    item.rank_key = priority.rank_key(item.urgency, item.callable_from)


def enqueue(session: Session, request: CallbackRequest, now: datetime | None = None) -> QueueItem:
    """The request's queue item: created once, or the open item for this phone brought up to date.

    A person who asks again while a call is still owed gets no second call:
    the open item takes the newer preferences instead.
    """
    now = now or utcnow()
    contact = request.contact
    assert contact.phone, "a callback request always has a phone number"
    digest = phone_hash(contact.phone)
    existing = session.scalars(
        select(QueueItem)
        .where(QueueItem.phone_hash == digest, QueueItem.status.in_(OPEN))
        .with_for_update()
    ).first()
    if existing is not None:
        refresh(session, existing, request, now)
        return existing
    values = {
        "callback_request_id": request.id,
        "contact_id": contact.id,
        "phone_hash": digest,
        "status": QUEUED,
        "requested_at": request.created_at or now,
        "callable_from": now,
        "rank_key": 0.0,
        "urgency": urgency_of(request).minutes,
        "best_time": request.best_time,
        "language": request.language,
        "needs_va": bool(request.case and request.case.veteran),
        "state": request.case.state if request.case else None,
        "timezone": request.case.timezone if request.case else None,
        "attempts": 0,
    }
    item = insert_if_absent(session, QueueItem, values)
    if item is None:  # the request already has its item (a repeated job)
        item = session.scalars(
            select(QueueItem).where(QueueItem.callback_request_id == request.id)
        ).one()
        return item
    schedule(item, session, now, item.best_time)
    session.flush()
    return item


def refresh(session: Session, item: QueueItem, request: CallbackRequest, now: datetime) -> None:
    """A repeat ask updates the open item: its window, language and urgency; never a second call."""
    item.best_time, item.language = request.best_time, request.language
    new_hash = phone_hash(request.contact.phone) if request.contact.phone else item.phone_hash
    if new_hash != item.phone_hash and not _open_for(session, new_hash):
        item.phone_hash = new_hash  # they corrected their number: call the new one
    item.urgency = max(item.urgency, urgency_of(request).minutes)
    if request.case is not None:
        item.needs_va = bool(request.case.veteran) or item.needs_va
        item.state, item.timezone = request.case.state, request.case.timezone
    if item.status != CLAIMED:
        schedule(item, session, max(now, item.callable_from), item.best_time)
    session.flush()


def _open_for(session: Session, digest: str) -> QueueItem | None:
    return session.scalars(
        select(QueueItem).where(QueueItem.phone_hash == digest, QueueItem.status.in_(OPEN))
    ).first()


@dataclass(frozen=True)
class Claim:
    """The item claimed, or why nothing was."""

    item: QueueItem | None
    skipped: int = 0  # candidates found not callable after all (window closed, consent gone)


def _skills(advocate: User) -> tuple[list[str], bool]:
    skills = [s.strip().lower() for s in advocate.skills or [] if s and s.strip()]
    return [s for s in skills if s != "va"], "va" in skills


def _candidate(advocate: User, now: datetime, uncovered: frozenset[str]) -> Any:
    """The best waiting item for this advocate: the claim order, as one query."""
    languages, has_va = _skills(advocate)
    item = QueueItem
    speaks = item.language.in_(languages) if languages else false()
    skilled = or_(speaks, and_(item.needs_va, literal(has_va)))
    needs_skill = or_(item.language != "en", item.needs_va)
    covered_elsewhere = and_(
        not_(item.language.in_(sorted(uncovered))) if uncovered else literal(True),
        not_(and_(item.needs_va, literal("va" in uncovered))),
    )
    lacking = and_(needs_skill, not_(skilled), covered_elsewhere)
    mine = item.preferred_advocate_id == advocate.id
    query = select(item.id).where(
        item.status.in_(WAITING),
        item.callable_from <= now,
        or_(not_(lacking), item.callable_from <= now - SKILL_RELAX),
        or_(
            item.preferred_advocate_id.is_(None),
            mine,
            item.callable_from <= now - PREFERRED_RELAX,
        ),
    )
    tier = case((mine, 0), (skilled, 1), (not_(needs_skill), 2), else_=3)
    first = case((item.attempts == 0, 0), else_=1)
    past_target = case(
        (and_(item.attempts == 0, item.callable_from <= now - priority.SPEED_TO_LEAD_TARGET), 0),
        else_=1,
    )
    return (
        query.order_by(tier, first, past_target, item.rank_key.desc(), item.requested_at, item.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def claim_next(
    session: Session,
    advocate: User,
    now: datetime | None = None,
    uncovered: frozenset[str] = frozenset(),
) -> Claim:
    """Give this advocate the next call they should make, held for ``LEASE``; flushes.

    ``uncovered`` names the skills no advocate on shift has: items needing
    them are anyone's at once rather than after ``SKILL_RELAX``.
    """
    now = now or utcnow()
    skipped = 0
    for _ in range(CLAIM_TRIES):
        item_id = session.execute(_candidate(advocate, now, uncovered)).scalar()
        if item_id is None:
            return Claim(None, skipped)
        item = session.get(QueueItem, item_id)
        assert item is not None
        if not _still_callable(session, item, now):
            skipped += 1
            continue
        taken = session.execute(
            update(QueueItem)
            .where(QueueItem.id == item_id, QueueItem.status.in_(WAITING))
            .values(
                status=CLAIMED, claimed_by_id=advocate.id, claimed_at=now,
                lease_expires_at=now + LEASE,
            )
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        if taken.rowcount:  # type: ignore[attr-defined]
            session.refresh(item)
            return Claim(item, skipped)
    return Claim(None, skipped)


def _still_callable(session: Session, item: QueueItem, now: datetime) -> bool:
    """Checked at claim time: consent, the person's state, the rules now; else moved or closed."""
    contact, request = item.contact, item.callback_request
    case_ = request.case
    stop = None
    if contact.do_not_call or contact.phone_wrong or not contact.phone:
        stop = "do_not_call" if contact.do_not_call else "wrong_number"
    elif case_ is not None and case_.deceased_at is not None:
        stop = "deceased"
    elif not consent.has_consent(session, PURPOSE_ADVOCATE_CALLS, "phone", contact.phone):
        stop = "no_consent"
    if stop:
        close(session, item, CANCELLED, stop, now)
        return False
    recent = recent_attempts(session, item.phone_hash, now)
    if calling.check(place_of(item), now, _chosen(item), recent).allowed:
        return True
    schedule(item, session, now, _chosen(item))  # the window closed since: wait for the next
    session.flush()
    return False


def _chosen(item: QueueItem) -> str | None:
    """The window the person chose; a scheduled call back keeps to its own time instead."""
    return None if item.preferred_advocate_id is not None else item.best_time


def close(session: Session, item: QueueItem, status: str, reason: str, now: datetime) -> None:
    """End an item (completed, exhausted, cancelled); its request closes with it."""
    item.status, item.close_reason, item.closed_at = status, reason, now
    item.claimed_by_id = item.lease_expires_at = None
    item.callback_request.status = "closed"
    session.flush()


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
        first, past, score = priority.priority(item.attempts, item.urgency, item.callable_from, now)
        return (1, -first, -past, -score, item.requested_at)
    return (2, item.callable_from, item.requested_at)


def priority_score(item: QueueItem, now: datetime) -> float:
    """The priority as one number for lists (larger is called first)."""
    first, past, score = priority.priority(item.attempts, item.urgency, item.callable_from, now)
    if item.callable_from > now:
        return 0.0
    return round(first * 100_000 + past * 10_000 + min(score, 9_999.0), 1)
