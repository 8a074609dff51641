"""What an advocate's call outcome does: the attempt recorded, and its effect on every channel.

reached           the next step chosen: guide sent, specialist referral and closed
                  complete the item; a follow-up call schedules one (at a time the
                  rules allow) with the same advocate
left_voicemail,   a retry at the next allowed time, the gap growing each time, until
no_answer         the attempts run out: then the item is exhausted and, where the
                  person consented to emails, a "we tried to reach you" email goes out
wrong_number      the item closes and the number is flagged
do_not_call       the call consent is revoked in the ledger, every open item for the
                  number is cancelled (emails they asked for are not touched)
call_back_later   exactly the time chosen, if the rules allow it; otherwise why not
deceased          every open item and every waiting email for the whole case stops
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake import calling
from intake.models.base import utcnow
from intake.models.consent import PURPOSE_ADVOCATE_CALLS, PURPOSE_FOLLOWUP_EMAILS, ConsentRecord
from intake.models.contact import CaseContact
from intake.models.email import PURPOSE_UNREACHABLE
from intake.models.queue import (
    CANCELLED,
    CLAIMED,
    COMPLETED,
    EXHAUSTED,
    OPEN,
    RETRY,
    CallAttempt,
    QueueItem,
)
from intake.models.user import User
from intake.queueing import retries
from intake.services.email import emails
from intake.services.people import consent
from intake.services.queue import queue

OUTCOMES = {
    "reached": "Reached",
    "left_voicemail": "Left a voicemail",
    "no_answer": "No answer",
    "wrong_number": "Wrong number",
    "do_not_call": "Asked not to be called",
    "call_back_later": "Call back later",
    "deceased": "The patient has died",
}
NEXT_STEPS = {
    "guide_sent": "Guide sent",
    "specialist_referral": "Specialist referral",
    "follow_up_call": "Follow-up call",
    "closed": "Nothing more needed",
}
UNANSWERED = (retries.NO_ANSWER, retries.VOICEMAIL)


class OutcomeError(ValueError):
    """An outcome that cannot be recorded as asked; the message is for the advocate."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Logged:
    """What happened to the item, for the advocate's confirmation message."""

    status: str
    callable_from: datetime | None = None
    email_queued: bool = False


def record(
    session: Session,
    item: QueueItem,
    advocate: User,
    outcome: str,
    next_step: str | None = None,
    scheduled_for: datetime | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Logged:
    """Record one call by the advocate who holds the item, and carry out its effect; flushes."""
    now = now or utcnow()
    if item.status != CLAIMED or item.claimed_by_id != advocate.id:
        raise OutcomeError("outcome", "This call is not yours any more: claim the next one.")
    _check(item, session, outcome, next_step, scheduled_for, now)
    session.add(
        CallAttempt(
            queue_item_id=item.id, advocate_id=advocate.id, phone_hash=item.phone_hash,
            started_at=item.claimed_at or now, ended_at=now, outcome=outcome,
            next_step=next_step, scheduled_for=scheduled_for, note=note or None,
        )
    )  # fmt: skip
    item.attempts += 1
    item.first_attempt_at = item.first_attempt_at or now
    session.flush()
    return _EFFECTS[outcome](session, item, advocate, next_step, scheduled_for, now)


def _check(
    item: QueueItem,
    session: Session,
    outcome: str,
    next_step: str | None,
    scheduled_for: datetime | None,
    now: datetime,
) -> None:
    if outcome not in OUTCOMES:
        raise OutcomeError("outcome", "Choose what happened on the call.")
    if outcome == "reached" and next_step not in NEXT_STEPS:
        raise OutcomeError("next_step", "Choose the next step you agreed.")
    wants_time = outcome == "call_back_later" or next_step == "follow_up_call"
    if not wants_time:
        return
    if scheduled_for is None:
        raise OutcomeError("scheduled_for", "Choose when to call back.")
    if scheduled_for <= now:
        raise OutcomeError("scheduled_for", "Choose a time in the future.")
    recent = queue.recent_attempts(session, item.phone_hash, scheduled_for)
    decision = calling.check(queue.place_of(item), scheduled_for, None, recent)
    if not decision.allowed:
        when = decision.next_allowed_at.strftime("%a %b %-d, %-I:%M %p")
        raise OutcomeError(
            "scheduled_for",
            f"We may not call then: {decision.reason}. The first allowed time is {when} "
            "their time.",
        )


def _reached(session, item, advocate, next_step, scheduled_for, now) -> Logged:  # type: ignore[no-untyped-def]
    if next_step == "follow_up_call":
        return _schedule_exactly(session, item, advocate, scheduled_for)
    queue.close(session, item, COMPLETED, f"reached: {next_step}", now)
    return Logged(COMPLETED)


def _schedule_exactly(session, item, advocate, scheduled_for) -> Logged:  # type: ignore[no-untyped-def]
    item.status, item.preferred_advocate_id = RETRY, advocate.id
    item.callable_from = scheduled_for
    item.rank_key = queue.priority.rank_key(item.urgency, scheduled_for)
    item.claimed_by_id = item.claimed_at = item.lease_expires_at = None
    session.flush()
    return Logged(RETRY, scheduled_for)


def _call_back_later(session, item, advocate, next_step, scheduled_for, now) -> Logged:  # type: ignore[no-untyped-def]
    return _schedule_exactly(session, item, advocate, scheduled_for)


def _unanswered(session, item, advocate, next_step, scheduled_for, now) -> Logged:  # type: ignore[no-untyped-def]
    tries = sum(1 for attempt in item.attempts_made if attempt.outcome in UNANSWERED)
    if retries.exhausted(tries):
        queue.close(session, item, EXHAUSTED, "no answer after every attempt", now)
        return Logged(EXHAUSTED, email_queued=_tried_to_reach(session, item))
    item.status, item.preferred_advocate_id = RETRY, None
    item.claimed_by_id = item.claimed_at = item.lease_expires_at = None
    queue.schedule(item, session, retries.next_try(tries, now), item.best_time)
    session.flush()
    return Logged(RETRY, item.callable_from)


def _tried_to_reach(session: Session, item: QueueItem) -> bool:
    """The "we tried to reach you" email, where the person agreed to emails; queued or not."""
    contact = item.contact
    if not contact.email:
        return False
    if not consent.has_consent(session, PURPOSE_FOLLOWUP_EMAILS, "email", contact.email):
        return False
    return (
        emails.queue_email(session, contact, PURPOSE_UNREACHABLE, item.callback_request_id)
        is not None
    )


def _wrong_number(session, item, advocate, next_step, scheduled_for, now) -> Logged:  # type: ignore[no-untyped-def]
    item.contact.phone_wrong = True
    _cancel_phone(session, item.phone_hash, "wrong_number", now)
    return Logged(CANCELLED)


def _do_not_call(session, item, advocate, next_step, scheduled_for, now) -> Logged:  # type: ignore[no-untyped-def]
    contact = item.contact
    contact.do_not_call = True
    if contact.phone:
        session.execute(
            update(ConsentRecord)
            .where(
                ConsentRecord.covers_hash == consent.covers_hash("phone", contact.phone),
                ConsentRecord.purpose == PURPOSE_ADVOCATE_CALLS,
                ConsentRecord.revoked_at.is_(None),
            )
            .values(revoked_at=now, revoked_reason="asked not to be called (on a call)")
        )
    _cancel_phone(session, item.phone_hash, "do_not_call", now)
    return Logged(CANCELLED)


def _cancel_phone(session: Session, phone_hash: str, reason: str, now: datetime) -> None:
    for other in session.scalars(
        select(QueueItem).where(QueueItem.phone_hash == phone_hash, QueueItem.status.in_(OPEN))
    ):
        queue.close(session, other, CANCELLED, reason, now)


def _deceased(session, item, advocate, next_step, scheduled_for, now) -> Logged:  # type: ignore[no-untyped-def]
    case_ = item.callback_request.case
    contact_ids = {item.contact_id}
    if case_ is not None:
        case_.deceased_at = now
        contact_ids |= set(
            session.scalars(select(CaseContact.contact_id).where(CaseContact.case_id == case_.id))
        )
    for other in session.scalars(
        select(QueueItem).where(QueueItem.contact_id.in_(contact_ids), QueueItem.status.in_(OPEN))
    ):
        queue.close(session, other, CANCELLED, "deceased", now)
    for contact_id in contact_ids:
        emails.cancel_open(session, contact_id, "the patient has died")
    return Logged(CANCELLED)


_EFFECTS = {
    "reached": _reached,
    "left_voicemail": _unanswered,
    "no_answer": _unanswered,
    "wrong_number": _wrong_number,
    "do_not_call": _do_not_call,
    "call_back_later": _call_back_later,
    "deceased": _deceased,
}
