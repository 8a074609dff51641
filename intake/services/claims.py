"""Claim next: the best waiting call for this advocate, taken by exactly one of them.

The claim order (``intake.queueing.priority``, plus skills) is walked as a
short list of queries, best first: the advocate's own call backs, then calls
needing a skill they have, then calls needing none, then calls needing a
skill they lack once those have waited ``SKILL_RELAX`` (or at once when no
one on shift has the skill); within each, first attempts past the
speed-to-lead target, other first attempts, then retries; within each of
those, the stored ``rank_key`` (urgency and wait), then the original request
time.  Each query is ``LIMIT 1 FOR UPDATE SKIP LOCKED`` on an index in that
order, so it stops at the first row no other advocate holds instead of
sorting the whole queue, and 50 advocates at once never wait for each
other.  A guarded UPDATE (only while the item still waits) takes it, which
is what keeps SQLite, without row locks, correct too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, not_, or_, select, update
from sqlalchemy.orm import Session

from intake import calling
from intake.calling.rules import rule_for
from intake.models.base import utcnow
from intake.models.callback import CallbackRequest
from intake.models.consent import PURPOSE_ADVOCATE_CALLS
from intake.models.contact import Case, Contact
from intake.models.queue import CANCELLED, CLAIMED, WAITING, QueueItem
from intake.models.user import User
from intake.queueing import priority
from intake.services import consent, queue

SKILL_RELAX = timedelta(minutes=3)  # then anyone may take an item needing a skill they lack
PREFERRED_RELAX = timedelta(minutes=15)  # a scheduled call back waits this long for its advocate
CLAIM_TRIES = 20


@dataclass(frozen=True)
class Claim:
    """The item claimed, or why nothing was."""

    item: QueueItem | None
    skipped: int = 0  # candidates found not callable after all (window closed, consent gone)


def _skills(advocate: User) -> tuple[list[str], bool]:
    skills = [s.strip().lower() for s in advocate.skills or [] if s and s.strip()]
    return [s for s in skills if s != "va"], "va" in skills


def _tiers(advocate: User, now: datetime, uncovered: frozenset[str]) -> Iterator[Any]:
    """The WHERE clause of each skills tier, best first (one they cannot have is left out)."""
    item = QueueItem
    languages, has_va = _skills(advocate)
    not_held = and_(
        or_(item.preferred_advocate_id.is_(None), item.callable_from <= now - PREFERRED_RELAX),
        or_(item.preferred_advocate_id.is_(None), item.preferred_advocate_id != advocate.id),
    )
    skilled = or_(
        item.language.in_(languages) if languages else false(),
        item.needs_va.is_(True) if has_va else false(),
    )
    needs_skill = or_(item.language != "en", item.needs_va)
    yield item.preferred_advocate_id == advocate.id
    if languages or has_va:
        yield and_(not_held, skilled)
    yield and_(not_held, not_(needs_skill))
    anyones: list[ColumnElement[bool]] = [item.callable_from <= now - SKILL_RELAX]
    anyones += [item.language.in_(sorted(uncovered))] if uncovered else []
    anyones += [item.needs_va.is_(True)] if "va" in uncovered else []
    yield and_(not_held, needs_skill, not_(skilled), or_(*anyones))


def _classes(now: datetime) -> Iterator[ColumnElement[bool]]:
    """First attempts past the target, other first attempts, retries."""
    yield and_(
        QueueItem.attempts == 0, QueueItem.callable_from <= now - priority.SPEED_TO_LEAD_TARGET
    )
    yield QueueItem.attempts == 0
    yield QueueItem.attempts > 0


def candidates(advocate: User, now: datetime, uncovered: frozenset[str]) -> Iterator[Any]:
    """The claim order as queries, best first; each yields at most one unlocked item id."""
    for tier in _tiers(advocate, now, uncovered):
        for klass in _classes(now):
            yield (
                select(QueueItem.id)
                .where(QueueItem.status.in_(WAITING), QueueItem.callable_from <= now, tier, klass)
                .order_by(QueueItem.rank_key.desc(), QueueItem.requested_at, QueueItem.id)
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
    for query in candidates(advocate, now, uncovered):
        for _ in range(CLAIM_TRIES):
            item_id = session.execute(query).scalar()
            if item_id is None:
                break
            if not still_callable(session, item_id, now):
                skipped += 1
                continue
            taken = session.execute(
                update(QueueItem)
                .where(QueueItem.id == item_id, QueueItem.status.in_(WAITING))
                .values(status=CLAIMED, claimed_by_id=advocate.id, claimed_at=now,
                        lease_expires_at=now + queue.LEASE)
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            if taken.rowcount:  # type: ignore[attr-defined]
                item = session.get(QueueItem, item_id, populate_existing=True)
                return Claim(item, skipped)
    return Claim(None, skipped)


_FACTS = (
    select(
        QueueItem.state, QueueItem.timezone, QueueItem.best_time, QueueItem.phone_hash,
        QueueItem.preferred_advocate_id, Contact.do_not_call, Contact.phone_wrong, Contact.phone,
        Case.deceased_at,
    )
    .join(Contact, Contact.id == QueueItem.contact_id)
    .join(CallbackRequest, CallbackRequest.id == QueueItem.callback_request_id)
    .outerjoin(Case, Case.id == CallbackRequest.case_id)
)  # fmt: skip


def still_callable(session: Session, item_id: int, now: datetime) -> bool:
    """Checked at claim time: consent, the person's state, the rules now; else moved or closed.

    One query for the facts; the consent ledger and (only where the state
    caps attempts) the attempts of the last 24 hours.
    """
    facts = session.execute(_FACTS.where(QueueItem.id == item_id)).one()
    stop = None
    if facts.do_not_call or facts.phone_wrong or not facts.phone:
        stop = "do_not_call" if facts.do_not_call else "wrong_number"
    elif facts.deceased_at is not None:
        stop = "deceased"
    elif not consent.has_consent(session, PURPOSE_ADVOCATE_CALLS, "phone", facts.phone):
        stop = "no_consent"
    if stop:
        item = session.get(QueueItem, item_id)
        assert item is not None
        queue.close(session, item, CANCELLED, stop, now)
        return False
    chosen = None if facts.preferred_advocate_id is not None else facts.best_time
    recent: list[datetime] = []
    if rule_for(facts.state).attempt_cap_24h:
        recent = queue.recent_attempts(session, facts.phone_hash, now)
    place = calling.place_for(facts.state, facts.timezone)
    if calling.check(place, now, chosen, recent).allowed:
        return True
    item = session.get(QueueItem, item_id)
    assert item is not None
    queue.schedule(item, session, now, chosen)  # the window closed since: wait for the next
    session.flush()
    return False
