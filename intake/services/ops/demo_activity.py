"""A stretch of fictional activity, so the admin dashboard has something to show in a demo.

Requests go through the real inbox (``submissions.receive`` then ``process``),
callbacks through ``queue.enqueue`` and every call through
``outcomes.record``, each given its moment in the past; only what a worker
or a mail server would have done later (an email's fate, the beat's SLA
stamp) is written directly.  The follow-up jobs the requests owe are marked
done, so nothing is really sent or matched afterwards.  Everything is
obviously made up: "Demo Person 12", 555-01xx numbers, example.org addresses,
documentation-range IP addresses.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intake.matching import geo
from intake.models.base import utcnow
from intake.models.callback import CallbackRequest
from intake.models.email import FAILED, SENT, SUPPRESSED, EmailDelivery
from intake.models.outbox import OutboxMessage
from intake.models.queue import CLAIMED, QUEUED, RETRY, QueueItem
from intake.models.submission import Submission
from intake.models.user import User
from intake.queueing import priority
from intake.services.inbox import leads, submissions
from intake.services.people.contacts import CaseFacts, Person
from intake.services.queue import outcomes, queue

AREAS = ("212", "215", "305", "312", "617", "206", "202", "213", "303", "404", "415", "503",
         "602", "612", "646", "702", "713", "718", "801", "919")  # fmt: skip
ZIPS = ("10001", "19103", "33101", "60601", "02108", "98101")
DIAGNOSES = ("pleural", "peritoneal", "not_sure")
# how calls went, weighted like a plausible week (call_back_later needs a chosen time: left out)
OUTCOME_WEIGHTS = {"reached": 50, "no_answer": 22, "left_voicemail": 20, "wrong_number": 4,
                   "do_not_call": 4}  # fmt: skip
NEXT_STEPS = ("guide_sent", "specialist_referral", "closed")


@dataclass
class Report:
    """What was made, for the command's summary line."""

    guides: int = 0
    callbacks: int = 0
    calls: int = 0
    emails: dict[str, int] = field(default_factory=dict)


class NoAdvocate(LookupError):
    """Calls need an advocate to have made them; the demo creates one (``intake demo``)."""


def generate(
    session: Session, days: int, now: datetime | None = None, seed: int | None = None
) -> Report:
    """Fictional requests, calls and emails spread over the past ``days`` days; flushes."""
    now, rng = now or utcnow(), random.Random(seed)  # noqa: S311 (made-up data, not secrets)
    advocate = session.scalars(
        select(User).where(User.role == "advocate", User.active.is_(True)).order_by(User.id)
    ).first()
    if advocate is None:
        raise NoAdvocate("no active advocate: run `intake demo` first")
    first_job = session.scalar(select(func.max(OutboxMessage.id))) or 0
    first_email = session.scalar(select(func.max(EmailDelivery.id))) or 0
    report, number = Report(), _next_number(session)
    for moment, form in _arrivals(rng, days, now):
        number += 1
        if form == submissions.GUIDE:
            _guide(session, rng, number, moment)
            report.guides += 1
        else:
            report.calls += _callback(session, rng, number, moment, advocate, now)
            report.callbacks += 1
    _close_jobs(session, first_job, now)
    report.emails = _settle_emails(session, rng, first_email, now)
    session.flush()
    return report


def _next_number(session: Session) -> int:
    """Demo people are numbered on from earlier runs, so names and numbers never repeat."""
    return int(session.scalar(select(func.count()).select_from(Submission)) or 0)


def _arrivals(rng: random.Random, days: int, now: datetime) -> list[tuple[datetime, str]]:
    """When forms arrive: more on weekdays, mostly in the day (US time), all in the past."""
    arrivals = []
    for back in range(days):
        day = now - timedelta(days=back)
        weekday = day.weekday() < 5
        for form, low, high in (("guide", 6, 12), ("callback", 4, 9)):
            for _ in range(rng.randint(low, high) if weekday else rng.randint(1, low)):
                hour = rng.choice((13, 14, 15, 15, 16, 17, 18, 19, 20, 21, 22, 23, 1))  # UTC
                moment = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
                if moment < now - timedelta(minutes=2):
                    arrivals.append((moment, form))
    # and a few in the last hour or two, so the queue has something in it now
    for form, many in (("guide", 2), ("callback", rng.randint(3, 5))):
        arrivals += [(now - timedelta(minutes=rng.randint(3, 100)), form) for _ in range(many)]
    return sorted(arrivals)


def _person(rng: random.Random, n: int, phone: bool) -> tuple[Person, CaseFacts]:
    zip_code = rng.choice(ZIPS)
    point = geo.lookup(zip_code)
    person = Person(
        first_name="Demo", last_name=f"Person {n}", email=f"demo.person.{n}@example.org",
        # 555-0100..0199 are the numbers set aside for fiction, in many area codes
        phone=f"+1{AREAS[n // 100 % len(AREAS)]}55501{n % 100:02d}" if phone else None,
    )  # fmt: skip
    facts = CaseFacts(
        relationship=rng.choice(("self", "spouse_partner", "child", "caregiver")),
        diagnosis_type=rng.choice(DIAGNOSES), stage=rng.choice(("2", "3", "4", None)),
        zip=zip_code, state=point.state if point else None,
        timezone=point.timezone if point else None,
    )  # fmt: skip
    return person, facts


def _receive(session: Session, form: str, data: Any, n: int, moment: datetime) -> Any:
    """The real inbox path, as if the form had arrived at ``moment``; the request made."""
    ip = f"192.0.2.{n % 250 + 1}"  # TEST-NET-1: an address that is nobody's
    row_id = submissions.receive(session.connection(), form, data, ip)
    session.execute(update(Submission).where(Submission.id == row_id).values(received_at=moment))
    outcome = submissions.process(session, row_id)
    assert outcome is not None
    row = session.get(Submission, row_id)
    assert row is not None
    row.processed_at = moment + timedelta(seconds=3)
    outcome.request.created_at = outcome.request.contact.created_at = moment
    return outcome.request


def _guide(session: Session, rng: random.Random, n: int, moment: datetime) -> None:
    person, facts = _person(rng, n, phone=False)
    topics = rng.sample(["treatment", "financial", "va_benefits", "living_with"], 2)
    data = leads.GuideSubmission(secrets.token_hex(16), person, facts, topics, True, False)
    request = _receive(session, submissions.GUIDE, data, n, moment)
    request.processed_at = moment + timedelta(seconds=3)


def _callback(
    session: Session, rng: random.Random, n: int, moment: datetime, advocate: User, now: datetime
) -> int:
    """One callback request and every call it got before ``now``; how many calls."""
    person, facts = _person(rng, n, phone=True)
    data = leads.CallbackSubmission(
        secrets.token_hex(16), person, facts, "asap", "en", email_fallback=True
    )
    request: CallbackRequest = _receive(session, submissions.CALLBACK, data, n, moment)
    item = queue.enqueue(session, request, now=moment)
    request.status, request.queued_at = "queued", moment
    item.created_at = moment
    calls, answers = 0, rng.random() < 0.7  # some people never pick up
    while item.status in (QUEUED, RETRY):
        # most first calls within minutes; some slip past the target
        wait = rng.choice((1, 2, 2, 3, 3, 4, 4, 6, 9, 25)) if not calls else rng.randint(2, 40)
        waits_from = item.callable_from if calls else item.clock_from  # as the queue counts
        start = waits_from + timedelta(minutes=wait, seconds=rng.randrange(60))
        if start > now:
            break
        if not calls and wait * 60 >= priority.SPEED_TO_LEAD_TARGET.total_seconds():
            item.sla_breached_at = item.clock_from + priority.SPEED_TO_LEAD_TARGET
        item.status, item.claimed_by_id, item.claimed_at = CLAIMED, advocate.id, start
        item.lease_expires_at = start + queue.LEASE
        end = start + timedelta(minutes=rng.randint(2, 12))
        if end > now:
            break  # on the phone right now
        outcome = rng.choices(list(OUTCOME_WEIGHTS), weights=list(OUTCOME_WEIGHTS.values()))[0]
        if not answers:
            outcome = rng.choice(outcomes.UNANSWERED)
        step = rng.choice(NEXT_STEPS) if outcome == "reached" else None
        outcomes.record(session, item, advocate, outcome, step, now=end)
        session.expire(item, ["attempts_made"])  # as the next request would load it afresh
        calls += 1
    return calls


def _close_jobs(session: Session, after_id: int, now: datetime) -> None:
    """The follow-up jobs these requests owed are done: the demo sends and matches nothing."""
    session.flush()
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id > after_id, OutboxMessage.processed_at.is_(None))
        .values(processed_at=now)
    )


def _settle_emails(
    session: Session, rng: random.Random, after_id: int, now: datetime
) -> dict[str, int]:
    """Give each email owed a fate, as the worker and a mail server would have."""
    counts = dict.fromkeys((SENT, FAILED, SUPPRESSED), 0)
    for delivery in session.scalars(select(EmailDelivery).where(EmailDelivery.id > after_id)):
        owed = _owed_at(session, delivery)
        status = rng.choices((SENT, FAILED, SUPPRESSED), weights=(88, 5, 7))[0]
        delivery.status, delivery.created_at, delivery.attempts = status, owed, 1
        if status == SENT:
            delivery.sent_at, delivery.smtp_code = owed + timedelta(seconds=8), 250
        elif status == FAILED:
            delivery.smtp_code, delivery.smtp_status = 550, "5.1.1"
            delivery.reason = "refused: 550 5.1.1 (demo data)"
        else:
            delivery.attempts, delivery.reason = 0, "suppressed (demo data)"
        counts[status] += 1
    return counts


def _owed_at(session: Session, delivery: EmailDelivery) -> datetime:
    """When the email was owed: its request's time, or the call that gave up, a moment after."""
    if delivery.purpose == "guide":
        at = session.scalar(select(Submission.received_at).where(
            Submission.form == "guide", Submission.request_id == delivery.request_id))  # fmt: skip
    else:
        at = session.scalar(select(QueueItem.closed_at).where(
            QueueItem.callback_request_id == delivery.request_id))  # fmt: skip
    return (at or utcnow()) + timedelta(seconds=5)
