"""Unsubscribe links: a signed token per address, and what unsubscribing changes.

The token names the contact and the keyed hash of the address (never the
address itself) and is signed with ``SECRET_KEY``; it does not expire,
because a link in an old email must still work.  Unsubscribing revokes the
email consents in the ledger for that address and stops the emails still
waiting to go to it.  It never touches call consent: "do not email" does
not cancel a callback the person asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.consent import PURPOSE_FOLLOWUP_EMAILS, PURPOSE_GUIDE_EMAIL, ConsentRecord
from intake.models.contact import Contact
from intake.services.email import emails
from intake.services.people import consent

EMAIL_PURPOSES = (PURPOSE_GUIDE_EMAIL, PURPOSE_FOLLOWUP_EMAILS)
_SALT = "unsubscribe-v1"


@dataclass(frozen=True)
class Subscriber:
    """Who a token speaks for."""

    contact_id: int
    covers_hash: str


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def token_for(contact_id: int, address: str) -> str:
    """The unsubscribe token for this contact's address."""
    return str(_serializer().dumps([contact_id, consent.covers_hash("email", address)]))


def read_token(token: str) -> Subscriber | None:
    """Who a token is for, or None when it is forged, damaged or malformed."""
    try:
        contact_id, covers_hash = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(contact_id, int) or not isinstance(covers_hash, str):
        return None
    return Subscriber(contact_id, covers_hash)


def url_for_token(token: str) -> str:
    """The public https address of the unsubscribe page (``PUBLIC_BASE_URL``)."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/unsubscribe/{token}"


def unsubscribe(session: Session, subscriber: Subscriber) -> int:
    """Revoke the address's email consents and stop its waiting emails; idempotent.

    Returns how many consents were revoked now (0 when already unsubscribed).
    """
    now = utcnow()
    revoked = session.execute(
        update(ConsentRecord)
        .where(
            ConsentRecord.covers_hash == subscriber.covers_hash,
            ConsentRecord.purpose.in_(EMAIL_PURPOSES),
            ConsentRecord.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_reason="unsubscribed (email link)")
    )
    contact = session.get(Contact, subscriber.contact_id)
    same_address = (
        contact is not None
        and contact.email is not None
        and consent.covers_hash("email", contact.email) == subscriber.covers_hash
    )
    if contact is not None and same_address:
        contact.email_opt_out = True
        emails.cancel_open(session, contact.id, "unsubscribed")
    session.flush()
    return int(revoked.rowcount)  # type: ignore[attr-defined]
