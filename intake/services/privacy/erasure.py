"""Erase one person's personal data, keeping the rows (and so the counts) without it.

Used by a confirmed deletion request, by an admin acting on a request made
by phone, and by the retention job.  What goes: the contact's name, email
and phone (sealed values and their keyed hashes); the sealed forms in the
inbox; postal addresses; the consent ledger's covered values and IP
addresses; call notes; the phone and address hashes on queue items,
attempts and email deliveries; and the case facts, match distances and
reasons of every case no one else is still on.  What stays: ids, states,
timestamps, topics and languages, so "requests per day" still adds up.

A household: a case another, not erased, contact is linked to keeps its
facts (they are that person's request too) but loses the facts this
contact gave; the erased contact is unlinked from it.  Only the contact
asked about is touched, never another one: a call owed to someone else who
gave the same number is queued again on its own, and a form still waiting
in the inbox is this contact's only when their points prove it.

The address is put on the suppression list (as its keyed hash), so nothing
owed before the erasure is ever sent to it (a new request made later, with
its own consent, is answered: see ``emails.suppression_reason``), and one
audit event records the erasure with ids and counts only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from intake.mail import mailbox
from intake.models import privacy
from intake.models.base import utcnow
from intake.models.callback import OPEN_STATUSES as CALLBACK_OPEN
from intake.models.callback import CallbackRequest
from intake.models.consent import ConsentRecord
from intake.models.contact import Case, CaseContact, CaseFact, Contact, PossibleMatch
from intake.models.email import EmailDelivery
from intake.models.fulfilment import CANCELLED as PRINT_CANCELLED
from intake.models.fulfilment import QUEUED as PRINT_QUEUED
from intake.models.fulfilment import FulfilmentItem
from intake.models.privacy import DeletionRequest
from intake.models.queue import CANCELLED, OPEN, CallAttempt, QueueItem
from intake.models.request import GuideRequest
from intake.models.specialist import CaseMatch
from intake.models.submission import Submission
from intake.services import outbox
from intake.services.email import emails
from intake.services.queue import queue
from intake.services.staff import audit
from intake.services.staff.audit import Actor

ERASED = "erased"  # what an erased hash column holds: never a real 64-hex hash
REASON = "personal data erased"


@dataclass
class Erased:
    """What one erasure changed, in counts (the audit event's detail)."""

    contact_id: int
    cases_erased: int = 0
    cases_kept: int = 0
    submissions: int = 0
    call_attempts: int = 0
    queue_cancelled: int = 0
    emails_cancelled: int = 0


def erase_contact(
    session: Session, contact_id: int, reason: str, actor: Actor, now: datetime | None = None
) -> Erased | None:
    """Erase one contact's personal data (see the module docstring); None if already erased."""
    now = now or utcnow()
    contact = session.get(Contact, contact_id, with_for_update=True)
    if contact is None or contact.erased_at is not None:
        return None
    result = Erased(contact.id)
    if contact.email:
        emails.suppress(session, contact.email, emails.ERASED_ADDRESS)
        mailbox.forget(contact.email)  # the demo's local mailbox keeps whole copies of them
    guides = list(
        session.scalars(select(GuideRequest).where(GuideRequest.contact_id == contact_id))
    )
    calls = list(
        session.scalars(select(CallbackRequest).where(CallbackRequest.contact_id == contact_id))
    )
    result.submissions = _clear_submissions(session, contact, guides, calls)
    _stop_calls(session, contact, calls, result, now)
    _stop_guides(session, guides)
    result.emails_cancelled = emails.cancel_open(session, contact.id, REASON)
    session.execute(
        update(EmailDelivery).where(EmailDelivery.contact_id == contact.id).values(to_hash=ERASED)
    )
    _clear_consents(session, contact.id, now)
    _erase_cases(session, contact, guides, calls, result)
    session.execute(delete(CaseFact).where(CaseFact.contact_id == contact.id))
    session.execute(
        delete(PossibleMatch).where(
            or_(
                PossibleMatch.contact_id == contact.id, PossibleMatch.other_contact_id == contact.id
            )
        )
    )
    _wipe_contact(contact, now)
    _fulfil_requests(session, contact.id, now)
    session.flush()
    audit.record(session, actor, "privacy.erase", "contact", contact.id,
                 {"reason": reason, **counts(result)})  # fmt: skip
    return result


def counts(result: Erased) -> dict[str, int]:
    """The erasure's counts by name (no ids, no values)."""
    return {k: v for k, v in asdict(result).items() if k != "contact_id"}


def _wipe_contact(contact: Contact, now: datetime) -> None:
    contact.first_name, contact.last_name = "", None
    contact.email = contact.email_hash = None
    contact.phone = contact.phone_hash = None
    contact.do_not_call = contact.email_opt_out = True
    contact.erased_at = now


def _clear_submissions(
    session: Session, contact: Contact, guides: list[GuideRequest], calls: list[CallbackRequest]
) -> int:
    """The sealed forms that became this contact's requests, and any still waiting from them."""
    owned = [
        (Submission.form == "guide") & Submission.request_id.in_([g.id for g in guides]),
        (Submission.form == "callback") & Submission.request_id.in_([c.id for c in calls]),
    ]
    ids = set(session.scalars(select(Submission.id).where(or_(*owned))))
    ids |= _waiting_from(session, contact)
    if not ids:
        return 0
    session.execute(
        update(Submission).where(Submission.id.in_(ids)).values(payload=None, last_error=None)
    )
    return len(ids)


def _waiting_from(session: Session, contact: Contact) -> set[int]:
    """Unprocessed forms this contact's points prove are theirs (few: the worker is quick):
    their email, or their phone on a form that gives no email when they gave none either.
    A form that shares only a phone with someone who has an email is someone else's word."""
    found: set[int] = set()
    pending = select(Submission).where(
        Submission.processed_at.is_(None), Submission.payload.is_not(None)
    )
    for row in session.scalars(pending):
        person = ((row.payload or {}).get("data") or {}).get("person") or {}
        same_email = contact.email and person.get("email") == contact.email
        phone_only = not contact.email and not person.get("email")
        same_phone = phone_only and contact.phone and person.get("phone") == contact.phone
        if same_email or same_phone:
            found.add(row.id)
    return found


def _stop_calls(
    session: Session, contact: Contact, calls: list[CallbackRequest], result: Erased, now: datetime
) -> None:
    """Cancel open calls; clear notes and phone hashes on every item and attempt."""
    items = list(session.scalars(select(QueueItem).where(QueueItem.contact_id == contact.id)))
    for item in items:
        if item.status in OPEN:
            others = [r for r in queue.riding_on(session, item) if r.status in CALLBACK_OPEN]
            queue.close(session, item, CANCELLED, ERASED, now)
            result.queue_cancelled += 1
            for request in others:  # still owed a call: their own now
                request.status, request.joined_item_id = "received", None
                outbox.enqueue_job(session, queue.TASK_ENQUEUE, request.id)
        item.phone_hash = item.consent_hash = ERASED
    for request in calls:
        if request.status in CALLBACK_OPEN:
            request.status = "closed"
    if items:
        cleared = session.execute(
            update(CallAttempt)
            .where(CallAttempt.queue_item_id.in_([item.id for item in items]))
            .values(note=None, phone_hash=ERASED)
        )
        result.call_attempts = int(cleared.rowcount)  # type: ignore[attr-defined]


def _stop_guides(session: Session, guides: list[GuideRequest]) -> None:
    for request in guides:
        request.postal_address = None
        if request.status == "received":
            request.status = "cancelled"
    if guides:
        session.execute(
            update(FulfilmentItem)
            .where(
                FulfilmentItem.guide_request_id.in_([g.id for g in guides]),
                FulfilmentItem.status == PRINT_QUEUED,
            )
            .values(status=PRINT_CANCELLED)
        )


def _clear_consents(session: Session, contact_id: int, now: datetime) -> None:
    """The ledger rows stay (what was agreed, when); what they covered and from where goes."""
    session.execute(
        update(ConsentRecord)
        .where(ConsentRecord.contact_id == contact_id, ConsentRecord.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=REASON)
    )
    session.execute(
        update(ConsentRecord)
        .where(ConsentRecord.contact_id == contact_id)
        .values(covers="", covers_hash=ERASED, ip_address=None)
    )


def _erase_cases(
    session: Session,
    contact: Contact,
    guides: list[GuideRequest],
    calls: list[CallbackRequest],
    result: Erased,
) -> None:
    """Erase the facts of each case only this contact is on; leave a shared one, unlinked."""
    links = list(session.scalars(select(CaseContact).where(CaseContact.contact_id == contact.id)))
    requests: list[GuideRequest | CallbackRequest] = [*guides, *calls]
    case_ids = {link.case_id for link in links}
    case_ids |= {r.case_id for r in requests if r.case_id is not None}
    for case_id in sorted(case_ids):
        if _someone_else_on(session, case_id, contact.id):
            session.execute(
                delete(CaseContact).where(
                    CaseContact.case_id == case_id, CaseContact.contact_id == contact.id
                )
            )
            for request in requests:
                if request.case_id == case_id:
                    request.case_id = None
            result.cases_kept += 1
        else:
            _wipe_case(session, case_id)
            result.cases_erased += 1


def _someone_else_on(session: Session, case_id: int, contact_id: int) -> bool:
    query = (
        select(CaseContact.contact_id)
        .join(Contact, Contact.id == CaseContact.contact_id)
        .where(
            CaseContact.case_id == case_id,
            CaseContact.contact_id != contact_id,
            Contact.erased_at.is_(None),
        )
    )
    return session.execute(query.limit(1)).first() is not None


def _wipe_case(session: Session, case_id: int) -> None:
    """Health facts and ZIP go; the coarse state and time zone stay for counts."""
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        return
    case.diagnosis_type = case.stage = case.cell_type = None
    case.veteran = case.diagnosed_recently = None
    case.zip = None
    case.fact_sources = None
    session.execute(delete(CaseFact).where(CaseFact.case_id == case_id))
    session.execute(
        update(CaseMatch)
        .where(CaseMatch.case_id == case_id)
        .values(distance_miles=0.0, reasons=[], summary=None)
    )


def _fulfil_requests(session: Session, contact_id: int, now: datetime) -> None:
    """Every deletion request the contact made is fulfilled by this erasure, however it came."""
    session.execute(
        update(DeletionRequest)
        .where(DeletionRequest.contact_id == contact_id, DeletionRequest.erased_at.is_(None))
        .values(status=privacy.ERASED, erased_at=now, address_hash=None)
    )
