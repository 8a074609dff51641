"""Everything an advocate needs on the phone, gathered for one queue item's lead page.

The contact and every contact linked to the same case (a household), each
with what they asked for across all their requests; the consent ledger; the
patient's local time and today's calling window; the matched specialists
with all their reasons; the guide's delivery state ("emailed at 2:14 PM");
and every attempt with its note.  Reading this is a view of personal data:
the view audits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import calling
from intake.models.base import utcnow
from intake.models.callback import CallbackRequest
from intake.models.consent import ConsentRecord
from intake.models.contact import Case, CaseContact, Contact
from intake.models.email import EmailDelivery
from intake.models.fulfilment import FulfilmentItem
from intake.models.queue import CallAttempt, QueueItem
from intake.models.request import GuideRequest
from intake.models.specialist import CaseMatch
from intake.services import queue


@dataclass
class Person:
    """One contact on the case and what they sent us."""

    contact: Contact
    relationship: str
    guides: list[tuple[GuideRequest, EmailDelivery | None, FulfilmentItem | None]]
    callbacks: list[CallbackRequest]
    consents: list[ConsentRecord]


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
    return Lead(item, case_, people, decision, matches, attempts, now)


def link_household(
    session: Session, case_: Case, contact: Contact, relationship: str
) -> CaseContact | None:
    """Link another contact (a spouse, a son) to this case; None when already linked."""
    existing = session.get(CaseContact, {"case_id": case_.id, "contact_id": contact.id})
    if existing is not None:
        return None
    link = CaseContact(case_id=case_.id, contact_id=contact.id, relation=relationship)
    session.add(link)
    session.flush()
    return link
