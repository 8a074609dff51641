"""A person's "delete my information" request: the form, the confirmation email, the erasure.

The page answers the same whatever was typed, and does the same work: it
stores the keyed hash of the address with a job (``request_deletion``).
The worker looks the address up (``process``): when a contact has it, it
owes them one confirmation email with a signed link that works for
``DELETION_LINK_DAYS``; otherwise the request is closed as ``no_match``.
Either way the hash is then cleared.  Only the person who reads that
mailbox can open the link, and pressing its button erases what the address
can prove is theirs: every contact whose own email it is (``confirm``, see
``services/privacy/erasure.py``), never someone linked to them only by a phone
number or a household link.  The email greets them only by a name that
came with that address, in the language of the page they asked on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.catalogues import LANGUAGES
from intake.mail import compose
from intake.models import privacy
from intake.models.base import utcnow
from intake.models.callback import CallbackRequest
from intake.models.contact import Contact
from intake.models.email import PURPOSE_DELETION, EmailDelivery
from intake.models.privacy import DeletionRequest
from intake.models.request import GuideRequest
from intake.services import outbox
from intake.services.email import emails, guides, links, unsubscribe
from intake.services.people.contacts import email_hash
from intake.services.privacy import erasure

TASK_PROCESS = "privacy.process_deletion_request"
ACTOR = "deletion link"  # who the audit log says erased: the person, through their link
# one confirmation email per person per this long, however often the form names them
RESEND_AFTER = timedelta(hours=1)
_SALT = "privacy-delete-v1"


def request_deletion(
    session: Session, address: str, language: str | None = None
) -> DeletionRequest:
    """Store a request for this normalised address and its job; the same work for anyone.

    ``language`` is the page's: someone who asks on the Spanish page reads a
    Spanish email, whatever language their guide or callback was in (without
    one, the email follows their latest request).
    """
    row = DeletionRequest(
        address_hash=email_hash(address),
        status=privacy.RECEIVED,
        language=language if language in LANGUAGES else None,
    )
    session.add(row)
    session.flush()
    outbox.enqueue_job(session, TASK_PROCESS, row.id)
    return row


def process(session: Session, request_id: int, now: datetime | None = None) -> list[int]:
    """Look the address up once; owe the confirmation email if we know it. New outbox ids."""
    now = now or utcnow()
    row = session.get(DeletionRequest, request_id, with_for_update=True)
    if row is None or row.status != privacy.RECEIVED:
        return []
    contact = None
    if row.address_hash:
        contact = session.scalars(
            select(Contact)
            .where(Contact.email_hash == row.address_hash, Contact.erased_at.is_(None))
            .order_by(Contact.id.desc())
        ).first()
    row.address_hash, row.processed_at = None, now
    if contact is None:
        row.status = privacy.NO_MATCH
        return []
    row.contact_id = contact.id
    if _emailed_recently(session, contact.id, now):
        row.status = privacy.THROTTLED
        return []
    row.status = privacy.EMAILED
    row.expires_at = now + timedelta(days=float(current_app.config["DELETION_LINK_DAYS"]))
    session.flush()
    job = emails.queue_email(session, contact, PURPOSE_DELETION, row.id)
    session.flush()
    return [job.id] if job is not None else []


def _emailed_recently(session: Session, contact_id: int, now: datetime) -> bool:
    query = select(DeletionRequest.id).where(
        DeletionRequest.contact_id == contact_id,
        DeletionRequest.status == privacy.EMAILED,
        DeletionRequest.processed_at > now - RESEND_AFTER,
    )
    return session.execute(query.limit(1)).first() is not None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def token_for(request_id: int, contact_id: int) -> str:
    """The signed token in the confirmation link (it names ids only)."""
    return str(_serializer().dumps([request_id, contact_id]))


def url_for_token(token: str) -> str:
    """The public address of the confirmation page (``PUBLIC_BASE_URL``)."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/privacy/delete/{token}"


def read_token(session: Session, token: str) -> DeletionRequest | None:
    """The request a link is for; None when it is forged, damaged or older than its days."""
    max_age = int(float(current_app.config["DELETION_LINK_DAYS"]) * 86400) + 3600
    try:
        request_id, contact_id = _serializer().loads(token, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(request_id, int) or not isinstance(contact_id, int):
        return None
    row = session.get(DeletionRequest, request_id)
    if row is None or row.contact_id != contact_id:
        return None
    return row


def is_open(row: DeletionRequest, now: datetime | None = None) -> bool:
    """The link still works: emailed, not yet used, not expired."""
    now = now or utcnow()
    return row.status == privacy.EMAILED and row.expires_at is not None and row.expires_at > now


def confirm(session: Session, request_id: int, now: datetime | None = None) -> bool:
    """Erase the contact the link is for; False when the link is used up or expired."""
    now = now or utcnow()
    row = session.get(DeletionRequest, request_id, with_for_update=True)
    if row is None or row.contact_id is None or not is_open(row, now):
        return False
    for contact_id in owners_of_address(session, row.contact_id):
        erasure.erase_contact(session, contact_id, "request", ACTOR, now)
    row.status, row.erased_at = privacy.ERASED, now
    session.flush()
    return True


def owners_of_address(session: Session, contact_id: int) -> list[int]:
    """The contacts whose own email is this contact's email, not erased (itself included)."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.erased_at is not None:
        return []
    if contact.email_hash is None:
        return [contact.id]
    return list(
        session.scalars(
            select(Contact.id)
            .where(Contact.email_hash == contact.email_hash, Contact.erased_at.is_(None))
            .order_by(Contact.id)
        )
    )


def greeting_name(session: Session, contact: Contact) -> str | None:
    """A first name that came with this address: the one every contact with it gave, or none.

    Two people may have given the same address; the email then greets no one
    by name rather than show one of them the other's.
    """
    names = {
        session.get(Contact, contact_id).first_name  # type: ignore[union-attr]
        for contact_id in owners_of_address(session, contact.id)
    }
    return names.pop() if len(names) == 1 else None


def _language(session: Session, asked: DeletionRequest | None, contact_id: int) -> str:
    """The language of the page the deletion was asked on; else the latest request's (en, es).

    A request stored before the page's language was kept has only the second.
    """
    if asked is not None and asked.language in LANGUAGES:
        return asked.language
    latest: list[tuple[datetime, str]] = []
    for model in (GuideRequest, CallbackRequest):
        row = session.execute(
            select(model.created_at, model.language)
            .where(model.contact_id == contact_id)
            .order_by(model.created_at.desc())
            .limit(1)
        ).first()
        if row is not None:
            latest.append((row[0], row[1]))
    language = max(latest)[1] if latest else "en"
    return language if language in LANGUAGES else "en"


def compose_confirmation(
    session: Session, delivery: EmailDelivery, address: str
) -> compose.Outgoing:
    """The email with the confirmation link, in the person's language."""
    contact, config = delivery.contact, current_app.config
    language = _language(session, session.get(DeletionRequest, delivery.request_id), contact.id)
    domain = compose.domain_of(config["MAIL_FROM"])
    unsubscribe_token = unsubscribe.token_for(contact.id, address)
    first_name = greeting_name(session, contact)
    context = {
        "first_name": first_name,
        "language": language,
        "confirm_url": links.in_language(
            url_for_token(token_for(delivery.request_id, contact.id)), language
        ),
        "days": int(float(config["DELETION_LINK_DAYS"])),
        "org": guides.organisation(),
        **links.links_for(
            language, config["PUBLIC_BASE_URL"], unsubscribe.url_for_token(unsubscribe_token)
        ),
        "postal_address": config["MAIL_POSTAL_ADDRESS"],
    }
    subject = (
        "Confirme que desea borrar su información"
        if language == "es"
        else "Please confirm: delete your information"
    )
    return compose.build(
        mail_from=config["MAIL_FROM"],
        to_name=first_name or None,
        to_address=address,
        subject=subject,
        text=render_template(f"emails/deletion.{language}.txt", **context),
        html=render_template(f"emails/deletion.{language}.html", **context),
        msg_id=compose.message_id(PURPOSE_DELETION, delivery.request_id, contact.id, domain),
        # a mail client's one-click unsubscribe answers in the email's language too
        unsubscribe_url=links.in_language(unsubscribe.url_for_token(unsubscribe_token), language),
        unsubscribe_mailto_url=compose.unsubscribe_mailto(config["MAIL_FROM"], unsubscribe_token),
        dkim=guides.dkim_key(),
    )
