"""Everything an advocate needs on the phone, gathered for one queue item's lead page.

The contact and every contact linked to the same case (a household), each
with what they asked for across all their requests; the consent ledger; the
patient's local time and today's calling window; the matched specialists
with all their reasons; the guide's delivery state ("emailed at 2:14 PM");
and every attempt with its note.  Reading this is a view of personal data:
the view audits it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import calling
from intake.models.base import utcnow
from intake.models.callback import CallbackRequest
from intake.models.consent import ConsentRecord
from intake.models.contact import Case, CaseContact, CaseFact, Contact
from intake.models.email import EmailDelivery
from intake.models.fulfilment import FulfilmentItem
from intake.models.queue import CallAttempt, QueueItem
from intake.models.request import GuideRequest
from intake.models.specialist import CaseMatch
from intake.services.people.contacts import possible_matches_for
from intake.services.queue import queue


@dataclass
class Person:
    """One contact on the case and what they sent us."""

    contact: Contact
    relationship: str
    guides: list[tuple[GuideRequest, EmailDelivery | None, FulfilmentItem | None]]
    callbacks: list[CallbackRequest]
    consents: list[ConsentRecord]


@dataclass
class Suggestion:
    """Someone who gave one contact point a person on this case also gave: perhaps the same
    person, perhaps not.  Only the name, the point in common and when they wrote are shown
    until an advocate, having asked, links them."""

    contact: Contact
    shared: str  # email or phone
    with_contact: Contact  # the person on this case they share it with
    first_wrote: datetime


@dataclass
class Fact:
    """One submission's word on the patient: who gave it, when, and what they said."""

    given_at: datetime
    contact: Contact
    relationship: str | None
    values: dict[str, Any]


@dataclass
class Lead:
    """The lead page's content."""

    item: QueueItem
    case: Case | None
    people: list[Person]
    decision: calling.Decision
    matches: list[CaseMatch]
    attempts: list[CallAttempt]
    now: datetime
    facts: list[Fact] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    riding: list[CallbackRequest] = field(default_factory=list)  # others' asks for this number


def _person(session: Session, contact: Contact, relationship: str) -> Person:
    guides = list(
        session.scalars(
            select(GuideRequest)
            .where(GuideRequest.contact_id == contact.id)
            .order_by(GuideRequest.created_at)
        )
    )
    deliveries = {
        d.request_id: d
        for d in session.scalars(
            select(EmailDelivery).where(
                EmailDelivery.contact_id == contact.id, EmailDelivery.purpose == "guide"
            )
        )
    }
    printed = {
        f.guide_request_id: f
        for f in session.scalars(
            select(FulfilmentItem).where(
                FulfilmentItem.guide_request_id.in_([g.id for g in guides])
            )
        )
    }
    return Person(
        contact=contact,
        relationship=relationship,
        guides=[(g, deliveries.get(g.id), printed.get(g.id)) for g in guides],
        callbacks=list(
            session.scalars(
                select(CallbackRequest)
                .where(CallbackRequest.contact_id == contact.id)
                .order_by(CallbackRequest.created_at)
            )
        ),
        consents=list(
            session.scalars(
                select(ConsentRecord)
                .where(ConsentRecord.contact_id == contact.id)
                .order_by(ConsentRecord.granted_at)
            )
        ),
    )


def lead_for(session: Session, item: QueueItem, now: datetime | None = None) -> Lead:
    """Gather the lead page for one item."""
    now = now or utcnow()
    case_ = item.callback_request.case
    links: list[tuple[Contact, str]] = []
    if case_ is not None:
        for link in session.scalars(
            select(CaseContact)
            .where(CaseContact.case_id == case_.id)
            .order_by(CaseContact.created_at)
        ):
            links.append((link.contact, link.relation))
    if not any(contact.id == item.contact_id for contact, _ in links):
        links.insert(0, (item.contact, "self"))
    links.sort(key=lambda pair: pair[0].id != item.contact_id)  # the caller first
    people = [_person(session, contact, relation) for contact, relation in links]
    matches: list[Any] = []
    if case_ is not None:
        matches = list(
            session.scalars(
                select(CaseMatch).where(CaseMatch.case_id == case_.id).order_by(CaseMatch.rank)
            )
        )
    recent = queue.recent_attempts(session, item.phone_hash, now)
    decision = calling.check(queue.place_of(item), now, item.best_time, recent)
    attempts = list(
        session.scalars(
            select(CallAttempt)
            .join(QueueItem, QueueItem.id == CallAttempt.queue_item_id)
            .where(QueueItem.contact_id.in_([p.contact.id for p in people]))
            .order_by(CallAttempt.started_at.desc())
        )
    )
    lead = Lead(item, case_, people, decision, matches, attempts, now)
    lead.facts = _facts(session, people)
    lead.suggestions = suggestions_for(session, [p.contact for p in people])
    lead.riding = queue.riding_on(session, item)
    return lead


def _facts(session: Session, people: list[Person]) -> list[Fact]:
    """What each person on the case told us about the patient, newest first."""
    relation = {p.contact.id: p.relationship for p in people}
    contacts = {p.contact.id: p.contact for p in people}
    if not contacts:
        return []
    rows = session.scalars(
        select(CaseFact)
        .where(CaseFact.contact_id.in_(list(contacts)))
        .order_by(CaseFact.given_at.desc(), CaseFact.id.desc())
    )
    return [
        Fact(row.given_at, contacts[row.contact_id], relation.get(row.contact_id), row.facts or {})
        for row in rows
    ]


def suggestions_for(session: Session, on_case: list[Contact]) -> list[Suggestion]:
    """The possible same people an advocate may link to this case: the open marks naming
    someone on it, whose other side is not on it yet and not erased."""
    ids = {contact.id for contact in on_case}
    by_id = {contact.id: contact for contact in on_case}
    found: dict[int, Suggestion] = {}
    for mark in possible_matches_for(session, list(ids)):
        if mark.resolution is not None:
            continue
        mine, other = (
            (mark.contact_id, mark.other) if mark.contact_id in ids else
            (mark.other_contact_id, mark.contact)
        )  # fmt: skip
        if other.id in ids or other.erased_at is not None or other.id in found:
            continue
        found[other.id] = Suggestion(other, mark.shared, by_id[mine], other.created_at)
    return list(found.values())


def link_household(
    session: Session, case_: Case, contact: Contact, relationship: str, by: Any = None
) -> CaseContact | None:
    """Link another contact (a spouse, a son, the same person writing again) to this case;
    None when already linked.  Each keeps their own points and facts; the marks between
    them and the case's people are resolved as linked."""
    existing = session.get(CaseContact, {"case_id": case_.id, "contact_id": contact.id})
    if existing is not None:
        return None
    on_case = [link.contact_id for link in case_.contact_links]
    link = CaseContact(case_id=case_.id, contact_id=contact.id, relation=relationship)
    session.add(link)
    _resolve_marks(session, contact.id, on_case, "linked", by)
    session.flush()
    return link


def unlink_household(session: Session, case_: Case, contact_id: int) -> bool:
    """Undo a link: the contact leaves this case (their own case and requests stay), and the
    marks that suggested them are open again.  False when they were not linked to it."""
    link = session.get(CaseContact, {"case_id": case_.id, "contact_id": contact_id})
    if link is None:
        return False
    session.delete(link)
    session.flush()
    on_case = [other.contact_id for other in case_.contact_links if other.contact_id != contact_id]
    _resolve_marks(session, contact_id, on_case, None, None)
    session.flush()
    return True


def _resolve_marks(
    session: Session, contact_id: int, on_case: list[int], resolution: str | None, by: Any
) -> None:
    for mark in possible_matches_for(session, [contact_id]):
        other = mark.other_contact_id if mark.contact_id == contact_id else mark.contact_id
        if other in on_case:
            mark.resolution = resolution
            mark.resolved_at = utcnow() if resolution else None
            mark.resolved_by_id = getattr(by, "id", None) if resolution else None
