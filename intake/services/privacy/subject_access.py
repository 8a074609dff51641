"""A person's own data, all of it, opened: what an admin sends them on a subject-access request.

Everything we hold about one contact, decrypted: their details, the consent
ledger, every request with the form as it arrived (while the inbox still
keeps it), each case they are on with its facts and matches, their queue
items with every call attempt and note, the emails we owed them, their
deletion requests, and the copies of their emails the demo's local mailbox
keeps (when and what about).  The export is audited (ids and counts only).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.mail import mailbox
from intake.models.callback import CallbackRequest
from intake.models.consent import ConsentRecord
from intake.models.contact import CaseContact, CaseFact, Contact
from intake.models.email import EmailDelivery
from intake.models.privacy import DeletionRequest
from intake.models.queue import CallAttempt, QueueItem
from intake.models.request import GuideRequest
from intake.models.specialist import CaseMatch
from intake.models.submission import Submission
from intake.services.people import consent
from intake.services.people.contacts import email_hash, phone_hash
from intake.services.staff import audit
from intake.services.staff.audit import Actor

FORMAT = "intake-subject-access-v1"


def find_people(
    session: Session, email: str | None, phone: str | None, contact_id: int | None
) -> list[Contact]:
    """The contact with this id, or every contact who gave this normalised email or E.164
    phone (by keyed hash): several people may have given one address, and the admin
    chooses whose request it is."""
    if contact_id is not None:
        found = session.get(Contact, contact_id)
        return [found] if found is not None else []
    if email:
        where = Contact.email_hash == email_hash(email)
    elif phone:
        where = Contact.phone_hash == phone_hash(phone)
    else:
        return []
    return list(session.scalars(select(Contact).where(where).order_by(Contact.id).limit(50)))


CONTACT_FIELDS = (
    "id first_name last_name email phone do_not_call phone_wrong email_opt_out "
    "created_at updated_at erased_at"
)
CONSENT_FIELDS = (
    "id purpose channel covers text_version source ip_address granted_at revoked_at revoked_reason"
)
GUIDE_FIELDS = (
    "id created_at topics deliver_email deliver_mail postal_address language status "
    "processed_at case_id"
)
CALLBACK_FIELDS = "id created_at best_time language status times_requested queued_at case_id"
CASE_FIELDS = (
    "id diagnosis_type stage cell_type veteran diagnosed_recently zip state timezone "
    "deceased_at created_at"
)
FACT_FIELDS = "case_id source request_id given_at facts"
MATCH_FIELDS = "rank distance_miles score tier reasons summary created_at"
ITEM_FIELDS = (
    "id callback_request_id status requested_at attempts closed_at close_reason state timezone"
)
ATTEMPT_FIELDS = "started_at ended_at outcome next_step scheduled_for note"
EMAIL_FIELDS = "id purpose request_id status attempts created_at sent_at reason"
DELETION_FIELDS = "id requested_at status expires_at erased_at"


def _fields(row: Any, names: str) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names.split()}


def _rows(session: Session, model: Any, *where: Any, order: Any = None) -> list[Any]:
    query = select(model).where(*where).order_by(order if order is not None else model.id)
    return list(session.scalars(query))


def export(session: Session, contact: Contact) -> dict[str, Any]:
    """Everything about one contact as plain JSON-able data (datetimes stay datetimes)."""
    mine = contact.id
    guides = _rows(session, GuideRequest, GuideRequest.contact_id == mine)
    calls = _rows(session, CallbackRequest, CallbackRequest.contact_id == mine)
    consents = _rows(session, ConsentRecord, ConsentRecord.contact_id == mine)
    deliveries = _rows(session, EmailDelivery, EmailDelivery.contact_id == mine)
    deletions = _rows(session, DeletionRequest, DeletionRequest.contact_id == mine)
    return {
        "format": FORMAT,
        "contact": _fields(contact, CONTACT_FIELDS),
        "consents": [_consent(record) for record in consents],
        "guide_requests": [
            {**_fields(g, GUIDE_FIELDS), "forms_received": _forms(session, "guide", g.id)}
            for g in guides
        ],
        "callback_requests": [
            {**_fields(c, CALLBACK_FIELDS), "forms_received": _forms(session, "callback", c.id)}
            for c in calls
        ],
        "cases": _cases(session, mine),
        "facts_given": [
            _fields(f, FACT_FIELDS) for f in _rows(session, CaseFact, CaseFact.contact_id == mine)
        ],
        "calls": _queue(session, mine),
        "emails": [_fields(d, EMAIL_FIELDS) for d in deliveries],
        "deletion_requests": [_fields(d, DELETION_FIELDS) for d in deletions],
        "local_mailbox": _kept_mail(contact),
    }


def _kept_mail(contact: Contact) -> list[dict[str, Any]]:
    """The copies of their emails the demo's local mailbox keeps (none with a real SMTP server)."""
    kept = mailbox.addressed_to(contact.email) if contact.email else []
    return [
        {"received_at": datetime.fromtimestamp(m.received, UTC), "subject": m.subject} for m in kept
    ]


def _consent(record: ConsentRecord) -> dict[str, Any]:
    wording = consent.TEXTS.get(record.text_version)
    return {**_fields(record, CONSENT_FIELDS), "text_shown": wording.text if wording else None}


def _forms(session: Session, form: str, request_id: int) -> list[dict[str, Any]]:
    """The sealed forms as they arrived (None once the inbox has cleared them)."""
    rows = _rows(session, Submission, Submission.form == form, Submission.request_id == request_id)
    return [{"id": r.id, "received_at": r.received_at, "as_sent": r.payload} for r in rows]


def _cases(session: Session, contact_id: int) -> list[dict[str, Any]]:
    links = list(session.scalars(select(CaseContact).where(CaseContact.contact_id == contact_id)))
    cases = []
    for link in links:
        matches = _rows(session, CaseMatch, CaseMatch.case_id == link.case_id, order=CaseMatch.rank)
        cases.append(
            {
                **_fields(link.case, CASE_FIELDS),
                "relationship": link.relation,
                "matches": [_match(m) for m in matches],
            }
        )
    return cases


def _match(match: CaseMatch) -> dict[str, Any]:
    listing = match.specialist
    name = f"{listing.first_name} {listing.last_name}, {listing.institution}"
    return {**_fields(match, MATCH_FIELDS), "specialist": f"{name} ({listing.listing_id})"}


def _queue(session: Session, contact_id: int) -> list[dict[str, Any]]:
    out = []
    for item in _rows(session, QueueItem, QueueItem.contact_id == contact_id):
        attempts = _rows(
            session, CallAttempt, CallAttempt.queue_item_id == item.id, order=CallAttempt.started_at
        )
        out.append(
            {
                **_fields(item, ITEM_FIELDS),
                "attempts": [_fields(a, ATTEMPT_FIELDS) for a in attempts],
            }
        )
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def export_json(session: Session, contact: Contact, actor: Actor, ip: str | None) -> str:
    """The export as a JSON document; one audit event (ids and counts) in the caller's commit."""
    data = export(session, contact)
    counts = {key: len(value) for key, value in data.items() if isinstance(value, list)}
    audit.record(session, actor, "privacy.export", "contact", contact.id, counts, ip)
    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=2)
