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

An advocate holds at most ``max_open`` claims (``MAX_OPEN_CLAIMS``): claim
next is one call at a time, not a way to collect people's phones and
emails.  A call back the advocate arranged themselves does not count: a
claim on one is outside the cap, and at the cap a press still takes one
that is due (a time promised to the patient, someone the advocate has
already spoken with); nothing else.  Two presses at once must not both get
past the cap: PostgreSQL locks the advocate's row for the claim's
transaction, and the UPDATE itself counts the claims held, which is what
guards SQLite (one writer at a time, the count read by the writing
statement).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    bindparam,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from intake import calling
from intake.calling.rules import rule_for
from intake.models.base import utcnow
from intake.models.callback import CallbackRequest
from intake.models.consent import PURPOSE_ADVOCATE_CALLS, ConsentRecord
from intake.models.contact import Case, Contact
from intake.models.queue import CANCELLED, CLAIMED, WAITING, QueueItem
from intake.models.user import User
from intake.queueing import priority
from intake.services.queue import queue

SKILL_RELAX = timedelta(minutes=3)  # then anyone may take an item needing a skill they lack
PREFERRED_RELAX = timedelta(minutes=15)  # a scheduled call back waits this long for its advocate
CLAIM_TRIES = 20


@dataclass(frozen=True)
class Claim:
    """The item claimed, or why nothing was."""

    item: QueueItem | None
    skipped: int = 0  # candidates found not callable after all (window closed, consent gone)
    at_cap: bool = False  # nothing new: the advocate already holds their most open claims


@dataclass(frozen=True)
class Skills:
    """What routes calls to an advocate: languages besides English, and VA benefits."""

    languages: tuple[str, ...]
    va: bool


def skills_of(advocate: User) -> Skills:
    """An advocate's skills, normalised (``es``, ``va``)."""
    skills = sorted({s.strip().lower() for s in advocate.skills or [] if s and s.strip()})
    return Skills(tuple(s for s in skills if s not in ("va", "en")), "va" in skills)


_NOW = bindparam("now", type_=QueueItem.callable_from.type)
_LATE = bindparam("late", type_=QueueItem.callable_from.type)
_SKILL_RELAXED = bindparam("skill_relaxed", type_=QueueItem.callable_from.type)
_PREF_RELAXED = bindparam("pref_relaxed", type_=QueueItem.callable_from.type)
_ME = bindparam("me", type_=Integer())
# the candidates are read under another name: SQLite, unlike PostgreSQL, calls a column of
# the UPDATE's own table ambiguous in a subquery over the same table
_CANDIDATE = aliased(QueueItem, name="candidate")
_LEASE_END = bindparam("lease_end", type_=QueueItem.callable_from.type)
_CAP = bindparam("cap", type_=Integer())
_HELD = aliased(QueueItem, name="held")


def _held_by_me(me: Any) -> Any:
    """How many claims ``me`` holds that count against the cap (not their own call backs)."""
    return (
        select(func.count())
        .select_from(_HELD)
        .where(
            _HELD.status == CLAIMED,
            _HELD.claimed_by_id == me,
            or_(_HELD.preferred_advocate_id.is_(None), _HELD.preferred_advocate_id != me),
        )
    )


def _tiers(skills: Skills, uncovered: frozenset[str]) -> list[Any]:
    """The WHERE clause of each skills tier after the advocate's own, best first."""
    item = _CANDIDATE
    not_held = and_(
        or_(item.preferred_advocate_id.is_(None), item.callable_from <= _PREF_RELAXED),
        or_(item.preferred_advocate_id.is_(None), item.preferred_advocate_id != _ME),
    )
    skilled = or_(
        item.language.in_(skills.languages) if skills.languages else false(),
        item.needs_va.is_(True) if skills.va else false(),
    )
    needs_skill = or_(item.language != "en", item.needs_va)
    tiers = [and_(not_held, skilled)] if skills.languages or skills.va else []
    tiers.append(and_(not_held, not_(needs_skill)))
    anyones: list[ColumnElement[bool]] = [item.callable_from <= _SKILL_RELAXED]
    anyones += [item.language.in_(sorted(uncovered))] if uncovered else []
    anyones += [item.needs_va.is_(True)] if "va" in uncovered else []
    tiers.append(and_(not_held, needs_skill, not_(skilled), or_(*anyones)))
    return tiers


def _one(*where: Any, order: tuple[Any, ...] = ()) -> Any:
    return (
        select(_CANDIDATE.id)
        .where(_CANDIDATE.status.in_(WAITING), _CANDIDATE.callable_from <= _NOW, *where)
        .order_by(*order, _CANDIDATE.rank_key.desc(), _CANDIDATE.requested_at, _CANDIDATE.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


@functools.lru_cache(maxsize=512)
def candidates(skills: Skills, uncovered: frozenset[str]) -> tuple[Any, ...]:
    """The claim order as queries, best first, built once per kind of advocate.

    The advocate's own call backs (a handful: sorted by class in the query),
    then each tier in three classes: first attempts past the target, other
    first attempts, retries.  Times and the advocate come as bound values.
    """
    first = _CANDIDATE.attempts == 0
    mine = _one(_CANDIDATE.preferred_advocate_id == _ME, order=(_CANDIDATE.attempts > 0,))
    queries = [mine]
    for tier in _tiers(skills, uncovered):
        queries += [
            _one(tier, first, _CANDIDATE.clock_from <= _LATE),
            _one(tier, first),
            _one(tier, _CANDIDATE.attempts > 0),
        ]
    return tuple(queries)


def claim_next(
    session: Session,
    advocate: User,
    now: datetime | None = None,
    uncovered: frozenset[str] = frozenset(),
    max_open: int | None = None,
) -> Claim:
    """Give this advocate the next call they should make, held for ``LEASE``; flushes.

    ``uncovered`` names the skills no advocate on shift has: items needing
    them are anyone's at once rather than after ``SKILL_RELAX``.  With
    ``max_open`` (the console passes ``MAX_OPEN_CLAIMS``) an advocate already
    holding that many claims gets only a due call back of their own, else
    ``at_cap``; None is for the benches and tests that drain a queue.
    """
    now = now or utcnow()
    skipped = 0
    values = {
        "now": now,
        "late": now - priority.SPEED_TO_LEAD_TARGET,
        "skill_relaxed": now - SKILL_RELAX,
        "pref_relaxed": now - PREFERRED_RELAX,
        "me": advocate.id,
        "lease_end": now + queue.LEASE,
    }
    capped = max_open is not None
    at_cap = capped and held_claims(session, advocate, lock=True) >= (max_open or 0)
    if capped:
        values["cap"] = max_open
    returns_facts = session.get_bind().dialect.name != "sqlite"
    statement = claim_statement(skills_of(advocate), uncovered, returns_facts, capped, at_cap)
    for _ in range(CLAIM_TRIES):
        row = session.execute(
            statement,
            values,
            execution_options={"populate_existing": True, "synchronize_session": False},
        ).first()
        if row is None:
            # the UPDATE's own count may have stopped a press that raced another (SQLite)
            full = at_cap or (capped and held_claims(session, advocate) >= (max_open or 0))
            return Claim(None, skipped, full)
        item = row[0]
        facts = row if returns_facts else session.execute(_facts_of(item)).one()
        if still_callable(session, item, facts, advocate, now):
            return Claim(item, skipped)
        skipped += 1
    return Claim(None, skipped, at_cap)


def held_claims(session: Session, advocate: User, lock: bool = False) -> int:
    """The claims this advocate holds that count against ``max_open``.

    With ``lock``, first the advocate's own row is locked until the claim's
    transaction ends (``FOR NO KEY UPDATE``: rows that merely reference the
    advocate are not held up), so a second press by the same advocate waits
    and then counts the first one's claim.  SQLite has no row locks: there
    the claim's UPDATE counts again (``claim_statement``).
    """
    if lock:
        session.execute(
            select(User.id).where(User.id == advocate.id).with_for_update(key_share=True)
        )
    return int(session.scalar(_held_by_me(advocate.id)) or 0)


@functools.lru_cache(maxsize=512)
def claim_statement(
    skills: Skills,
    uncovered: frozenset[str],
    returns_facts: bool = True,
    capped: bool = False,
    own_only: bool = False,
) -> Any:
    """The whole walk down the claim order as one UPDATE, built once per kind of advocate.

    ``COALESCE`` of the candidate queries: the database runs each only when
    the ones before found nothing, so a claim costs one round trip however far
    down the order the call is.  Each candidate locks its row with ``SKIP
    LOCKED``; the UPDATE takes it (only while it still waits, which keeps
    SQLite, without row locks, correct too) and returns the facts the rules
    need, read from the contact, the case and the consent ledger (SQLite's
    RETURNING cannot name another table: there they are a second query).
    ``capped``: it takes a call only while the advocate holds fewer than the
    bound ``cap`` claims, or the advocate's own call back, counted in the
    same statement; ``own_only``: the walk is the advocate's call backs alone
    (at the cap, so no other row is locked for nothing).
    """
    queries = [query.scalar_subquery() for query in candidates(skills, uncovered)]
    pick = queries[0] if own_only else func.coalesce(*queries)  # SQLite: COALESCE needs two
    where = [QueueItem.id == pick, QueueItem.status.in_(WAITING)]
    if capped:
        mine = QueueItem.preferred_advocate_id == _ME
        where.append(or_(mine, _held_by_me(_ME).scalar_subquery() < _CAP))
    return (
        update(QueueItem)
        .where(*where)
        .values(status=CLAIMED, claimed_by_id=_ME, claimed_at=_NOW, lease_expires_at=_LEASE_END)
        .returning(QueueItem, *(_FACTS if returns_facts else ()))
    )


def _of_contact(column: Any, name: str) -> Any:
    return (
        select(column).where(Contact.id == QueueItem.contact_id)
        .correlate(QueueItem).scalar_subquery().label(name)
    )  # fmt: skip


_FACTS = (
    _of_contact(Contact.do_not_call, "do_not_call"),
    _of_contact(Contact.phone_wrong, "phone_wrong"),
    _of_contact(Contact.phone_hash.is_not(None), "has_phone"),
    select(Case.deceased_at)
    .join(CallbackRequest, CallbackRequest.case_id == Case.id)
    .where(CallbackRequest.id == QueueItem.callback_request_id)
    .correlate(QueueItem).scalar_subquery().label("deceased_at"),
    exists()
    .where(
        ConsentRecord.covers_hash == QueueItem.consent_hash,
        ConsentRecord.purpose == PURPOSE_ADVOCATE_CALLS,
        ConsentRecord.revoked_at.is_(None),
    )
    .correlate(QueueItem).label("consented"),
)  # fmt: skip


def _facts_of(item: QueueItem) -> Any:
    return select(*_FACTS).where(QueueItem.id == item.id)


def still_callable(
    session: Session, item: QueueItem, facts: Any, advocate: User, now: datetime
) -> bool:
    """Checked as the claim is taken: consent, the person's state, the rules now; else the
    item is closed, or given back to wait for the next allowed minute.

    The facts come back with the claim; the attempts of the last 24 hours are
    read only where the state caps them.
    """
    stop = None
    if facts.do_not_call or facts.phone_wrong or not facts.has_phone:
        stop = "do_not_call" if facts.do_not_call else "wrong_number"
    elif facts.deceased_at is not None:
        stop = "deceased"
    elif not facts.consented:
        stop = "no_consent"
    if stop:
        queue.close(session, item, CANCELLED, stop, now)
        return False
    chosen = None if item.preferred_advocate_id is not None else item.best_time
    recent: list[datetime] = []
    if rule_for(item.state).attempt_cap_24h:
        recent = queue.recent_attempts(session, item.phone_hash, now)
    place = calling.place_for(item.state, item.timezone)
    if calling.check(place, now, chosen, recent).allowed:
        return True
    queue.release(session, item, advocate)
    queue.schedule(item, session, now, chosen)  # the window closed since: wait for the next
    session.flush()
    return False
