"""Turn a received public form into contact, case, request, consent and outbox rows, together.

Everything here is flushed into the caller's transaction; the worker commits
once per submission (``services/inbox/submissions.py``), so a request is only ever
stored with its consent and its follow-up jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models.callback import OPEN_STATUSES, CallbackRequest
from intake.models.consent import ConsentRecord
from intake.models.contact import Case
from intake.models.request import GuideRequest
from intake.services import outbox
from intake.services.email import guides
from intake.services.inbox import callbacks
from intake.services.people import consent
from intake.services.people.contacts import (
    CaseFacts,
    Person,
    attach_case,
    find_or_create_contact,
    record_facts,
)
from intake.services.people.inserts import insert_if_absent

TASK_DELIVER_GUIDE = "guides.deliver"
TASK_QUEUE_CALLBACK = callbacks.TASK_ENQUEUE
TASK_MATCH_CASE = "matching.record_case_matches"


@dataclass(frozen=True)
class GuideSubmission:
    """A validated /guide form."""

    submission_key: str
    person: Person
    case: CaseFacts
    topics: list[str]
    deliver_email: bool
    deliver_mail: bool
    postal_address: dict[str, Any] | None = None
    followup_emails: bool = False
    language: str = "en"  # the guide's language


@dataclass(frozen=True)
class CallbackSubmission:
    """A validated /callback form (the consent box was ticked)."""

    submission_key: str
    person: Person
    case: CaseFacts
    best_time: str
    language: str
    email_fallback: bool = False


@dataclass(frozen=True)
class Receipt:
    """When and from where a form arrived, and which consent wordings it showed."""

    at: datetime | None = None
    ip: str | None = None
    # purpose -> version shown (or, from a partner, its own words: see consent.wording)
    wording: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # who collected the consent, when not our own form

    def grant(
        self,
        session: Session,
        contact: Any,
        current: consent.ConsentText,
        covers: str,
        source: str,
    ) -> None:
        """Record a consent with the words shown, the arrival time and the sender's IP."""
        session.add(ConsentRecord(**self.grant_values(contact.id, current, covers, source)))

    def grant_values(
        self, contact_id: int, current: consent.ConsentText, covers: str, source: str
    ) -> dict[str, Any]:
        """``grant``'s ledger row as column values (raises KeyError for an unknown wording)."""
        shown = consent.wording(self.wording, current)
        return consent.grant_values(
            contact_id, shown, covers, self.source or source, self.ip, self.at
        )


@dataclass
class Outcome:
    """What the view needs: the request, whether it is new, and jobs to relay."""

    request: Any
    created: bool
    outbox_ids: list[int] = field(default_factory=list)


def submit_guide_request(
    session: Session, form: GuideSubmission, receipt: Receipt | None = None
) -> Outcome:
    """Store a guide request with its consent and a delivery job (once per submission key)."""
    # A brand-new contact cannot have sent this key before; only a known one needs the check.
    contact, new_contact = find_or_create_contact(session, form.person)
    if not new_contact:
        existing = _by_key(session, GuideRequest, form.submission_key)
        if existing is not None:  # a racing double-submit committed while we waited on the contact
            return Outcome(existing, created=False)
    case = attach_case(session, contact, form.case, new_contact)
    session.flush()
    request = insert_if_absent(
        session,
        GuideRequest,
        {
            "submission_key": form.submission_key,
            "contact_id": contact.id,
            "case_id": case.id,
            "topics": form.topics,
            "deliver_email": form.deliver_email,
            "deliver_mail": form.deliver_mail,
            "postal_address": form.postal_address if form.deliver_mail else None,
            "language": form.language,
        },
    )
    if request is None:  # a concurrent double submit won the key
        return Outcome(_by_key(session, GuideRequest, form.submission_key), created=False)
    record_facts(session, case, contact, "guide", request.id, form.case)
    receipt = receipt or Receipt()
    if form.person.email and form.deliver_email:
        receipt.grant(
            session, contact, consent.GUIDE_EMAIL_CONSENT, form.person.email, "guide_form"
        )
    if form.person.email and form.followup_emails:
        receipt.grant(
            session, contact, consent.GUIDE_FOLLOWUP_CONSENT, form.person.email, "guide_form"
        )
    if form.person.email and form.deliver_email:
        contact.email_opt_out = False  # a fresh, explicit ask for this email
    session.flush()
    jobs = [*guides.owe_deliveries(session, request), *_match_job(session, case)]
    session.flush()
    return Outcome(request, created=True, outbox_ids=[job.id for job in jobs])


def submit_callback_request(
    session: Session, form: CallbackSubmission, receipt: Receipt | None = None
) -> Outcome:
    """Store a callback request with its call consent and a queue job.

    A person who already has an open request is not queued twice: the open
    request takes the newer preferences and counts the repeat.  (Someone else
    asking for the same number gets a request of their own, which rides on
    the open call: see ``queue.enqueue``.)
    """
    # A brand-new contact cannot have sent this key before; only a known one needs the check.
    contact, new_contact = find_or_create_contact(session, form.person)
    if not new_contact:
        existing = _by_key(session, CallbackRequest, form.submission_key)
        if existing is not None:  # a racing double-submit committed while we waited on the contact
            return Outcome(existing, created=False)
    case = attach_case(session, contact, form.case, new_contact)
    receipt = receipt or Receipt()
    for current, covers in callback_grants(form):
        receipt.grant(session, contact, current, covers, CALLBACK_FORM)
    if contact.do_not_call or contact.phone_wrong:
        # a fresh, explicit ask to be called at the number just typed
        contact.do_not_call = contact.phone_wrong = False
    open_request = None if new_contact else _open_callback(session, contact.id)
    if open_request is not None:
        open_request.best_time, open_request.language = form.best_time, form.language
        open_request.case_id = case.id
        open_request.times_requested += 1
        record_facts(session, case, contact, "callback", open_request.id, form.case)
        session.flush()
        callbacks.refresh_open_item(session, open_request)
        jobs = _match_job(session, case)
        session.flush()
        return Outcome(open_request, created=False, outbox_ids=[job.id for job in jobs])
    session.flush()
    request = insert_if_absent(
        session, CallbackRequest, callback_request_values(form, contact.id, case.id)
    )
    if request is None:  # a concurrent double submit won the key
        return Outcome(_by_key(session, CallbackRequest, form.submission_key), created=False)
    record_facts(session, case, contact, "callback", request.id, form.case)
    jobs = [
        outbox.enqueue_job(session, TASK_QUEUE_CALLBACK, request.id),
        *_match_job(session, case),
    ]
    session.flush()
    return Outcome(request, created=True, outbox_ids=[job.id for job in jobs])


CALLBACK_FORM = "callback_form"  # the consent source of a callback form (a partner's: its own)


def callback_grants(form: CallbackSubmission) -> list[tuple[consent.ConsentText, str]]:
    """The consents a callback form gives: the wording's purpose and the value it covers."""
    assert form.person.phone, "the callback form requires a phone number"
    grants = [(consent.CALLBACK_CONSENT, form.person.phone)]
    if form.person.email and form.email_fallback:
        grants.append((consent.FOLLOWUP_EMAIL_CONSENT, form.person.email))
    return grants


def callback_request_values(
    form: CallbackSubmission, contact_id: int, case_id: int
) -> dict[str, Any]:
    """The columns of a new callback request."""
    return {"submission_key": form.submission_key, "contact_id": contact_id, "case_id": case_id,
            "best_time": form.best_time, "language": form.language}  # fmt: skip


def wants_match(case: Any) -> bool:
    """Matching runs in the worker once the case has a diagnosis type and a ZIP."""
    return bool(case.diagnosis_type and case.zip)


def _match_job(session: Session, case: Case) -> list[Any]:
    if wants_match(case):
        return [outbox.enqueue_job(session, TASK_MATCH_CASE, case.id)]
    return []


def _open_callback(session: Session, contact_id: int) -> CallbackRequest | None:
    """The contact's open request, locked, so a repeat ask updates it instead of queuing twice."""
    return session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.contact_id == contact_id, CallbackRequest.status.in_(OPEN_STATUSES))
        .order_by(CallbackRequest.id)
        .limit(1)
        .with_for_update()
    ).first()


def _by_key(session: Session, model: Any, key: str) -> Any:
    return session.scalars(select(model).where(model.submission_key == key)).first()
