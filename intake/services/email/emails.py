"""Email deliveries: owed once, consent checked, sent at most once, retried from the database.

The states of an ``EmailDelivery`` and what moves them:

    pending --(consent and suppression checked, message built)--> sending
    sending --(250)--> sent
    sending --(4xx, or a failure before the message was handed over)--> pending, due later
    sending --(5xx)--> failed (a 5.1.x "no such mailbox" also suppresses the address)
    sending --(an address needing SMTPUTF8, a server without it)--> failed, "not sent: ..."
    pending --(no consent, unsubscribed, bounced address)--> suppressed
    sending --(the connection or the worker died after the hand-over)--> unknown

The unknown-outcome policy: the spec promises each email at most once per
purpose and recipient.  A failure before the end of the DATA payload left
nothing with the server, so it is retried.  After it (the connection dropped
while we waited for the reply, or the worker was killed while the row said
``sending`` for longer than ``EMAIL_SEND_LEASE_SECONDS``) the server may
already hold the message, so it is never sent again on its own: the row
becomes ``unknown`` and shows on the failed-emails page, where a person can
check with the recipient and press resend.

Retries are a due time on the row and on its outbox job, which the relay
hands out when it comes (never a broker countdown that a broker restart or
Redis's visibility timeout could lose or repeat), with exponential backoff,
jitter and at most ``EMAIL_MAX_ATTEMPTS`` tries.

``send`` commits once in the middle, on purpose: the ``sending`` mark must
be durable before DATA, so that a crash after it is known to be one.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, exists, or_, select, true, update
from sqlalchemy.orm import Session, joinedload, object_session

from intake.mail.compose import Outgoing
from intake.mail.transport import ACCEPTED, PERMANENT, TRANSIENT, Outcome
from intake.models.base import utcnow
from intake.models.consent import PURPOSE_FOLLOWUP_EMAILS, PURPOSE_GUIDE_EMAIL
from intake.models.contact import Contact
from intake.models.email import (
    FAILED,
    OPEN_STATUSES,
    PENDING,
    PURPOSE_GUIDE,
    PURPOSE_UNREACHABLE,
    SENDING,
    SENT,
    SUPPRESSED,
    UNKNOWN,
    EmailDelivery,
    EmailSuppression,
)
from intake.models.outbox import OutboxMessage
from intake.services import outbox
from intake.services.people import consent
from intake.services.people.contacts import email_hash
from intake.services.people.inserts import insert_if_absent

log = logging.getLogger(__name__)

TASK_SEND = "emails.send"
TASK_SEND_MANY = "emails.send_many"  # a batch of due ones (services/outgoing.py)
# the consent each purpose needs, checked before every send
CONSENT_FOR = {PURPOSE_GUIDE: PURPOSE_GUIDE_EMAIL, PURPOSE_UNREACHABLE: PURPOSE_FOLLOWUP_EMAILS}

Composer = Callable[[Session, EmailDelivery, str], Outgoing]


@dataclass(frozen=True)
class Policy:
    """Retry and lease settings (``EMAIL_*``)."""

    retry_seconds: float = 60.0
    max_attempts: int = 8
    lease_seconds: float = 300.0

    @classmethod
    def from_config(cls, config: Any) -> Policy:
        """From the app's settings."""
        return cls(
            float(config["EMAIL_RETRY_SECONDS"]),
            int(config["EMAIL_MAX_ATTEMPTS"]),
            float(config["EMAIL_SEND_LEASE_SECONDS"]),
        )

    def backoff(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """Exponential with full jitter between half and the whole step, capped at six hours."""
        step = min(self.retry_seconds * 2 ** max(attempts - 1, 0), 6 * 3600.0)
        return timedelta(seconds=step * (0.5 + 0.5 * (rng or random).random()))  # noqa: S311


def queue_email(
    session: Session, contact: Contact, purpose: str, request_id: int
) -> OutboxMessage | None:
    """Owe this contact one email for this purpose and request; its send job, once only.

    None when the contact has no email address, or when the email was
    already owed (a repeated job or form): the unique key decides.
    """
    if not contact.email:
        return None
    delivery = insert_if_absent(
        session,
        EmailDelivery,
        {
            "contact_id": contact.id,
            "purpose": purpose,
            "request_id": request_id,
            "to_hash": email_hash(contact.email),
            "status": PENDING,
            "attempts": 0,
        },
    )
    if delivery is None:
        return None
    return outbox.enqueue_job(session, TASK_SEND, delivery.id)


@dataclass(frozen=True)
class Ready:
    """A delivery marked ``sending`` (not yet committed) with its message, to hand over next."""

    delivery_id: int
    address: str
    outgoing: Outgoing
    attempts: int  # this one included
    purpose: str


def send(
    session: Session,
    delivery_id: int,
    compose: Composer,
    transport: Any,
    policy: Policy,
    now: datetime | None = None,
) -> str | outbox.Reschedule:
    """Take one delivery one step: its new status, or when to try again."""
    now = now or utcnow()
    step = prepare(session, delivery_id, compose, policy, now)
    if not isinstance(step, Ready):
        return step
    session.commit()  # durable before DATA: from here a crash is an unknown outcome
    outgoing = step.outgoing
    outcome = transport.send(
        outgoing.sender, outgoing.recipient, outgoing.data, outgoing.clean, outgoing.quoted
    )
    return record(session, step, outcome, policy, now)


def prepare(
    session: Session, delivery_id: int, compose: Composer, policy: Policy, now: datetime
) -> Ready | str | outbox.Reschedule:
    """Check, build and mark one delivery ``sending``, or say why it goes no further now.

    The caller commits before it hands the message over: the ``sending``
    mark must be durable before DATA.  Nothing is written before the message is built,
    so a composer that raises leaves the transaction as it found it.
    """
    delivery = session.scalars(
        select(EmailDelivery)
        .options(joinedload(EmailDelivery.contact, innerjoin=True))  # its address, same trip
        .where(EmailDelivery.id == delivery_id)
        .with_for_update(of=EmailDelivery)
        .execution_options(populate_existing=True)  # as it is now, whatever the session holds
    ).first()
    if delivery is None:
        return "gone"
    if delivery.status not in OPEN_STATUSES:
        return delivery.status
    if delivery.status == SENDING:
        return _interrupted(delivery, policy, now)
    if delivery.next_attempt_at and delivery.next_attempt_at > now:
        return outbox.Reschedule(delivery.next_attempt_at, "not due yet")
    address = delivery.contact.email
    if address is None:
        _finish(delivery, SUPPRESSED, "no email address any more")
        return SUPPRESSED
    outgoing = compose(session, delivery, address)
    # the consent ledger and the suppression list are asked in the UPDATE that marks it sending
    table = _table()
    marked = session.execute(
        update(table)
        .where(table.c.id == delivery_id, *_allowed(delivery.purpose, address, table))
        .values(
            status=SENDING,
            sending_since=now,
            attempts=delivery.attempts + 1,
            message_id=outgoing.message_id,
        )
    )
    if not marked.rowcount:  # type: ignore[attr-defined]
        blocked = _why_blocked(session, delivery, address)
        if blocked is None:  # the consent changed between the two questions: ask again soon
            return outbox.Reschedule(now, "consent changed while it was checked")
        _finish(delivery, SUPPRESSED, blocked)
        return SUPPRESSED
    return Ready(delivery_id, address, outgoing, delivery.attempts + 1, delivery.purpose)


def _allowed(purpose: str, address: str, table: Table) -> list[ColumnElement[bool]]:
    """``_why_blocked``'s rules as SQL conditions on a delivery row: all true when it may go.

    Why both: this one rides on the statement that marks the email sending
    (one round trip fewer an email); ``_why_blocked`` says why not, for the
    row's reason, when this one stopped it.
    """
    needed = CONSENT_FOR.get(purpose)
    holds = or_(
        EmailSuppression.reason != ERASED_ADDRESS,  # a bounce holds for good
        EmailSuppression.created_at >= table.c.created_at,  # an erasure, for what it predates
    )
    suppressed = exists().where(EmailSuppression.address_hash == email_hash(address), holds)
    conditions: list[ColumnElement[bool]] = [~suppressed]
    if needed:
        conditions.append(consent.consent_exists(needed, "email", address))
    return conditions


def _interrupted(delivery: EmailDelivery, policy: Policy, now: datetime) -> str | outbox.Reschedule:
    """A row left ``sending``: another worker is at it, or one died mid-send."""
    since = delivery.sending_since or now
    if now - since < timedelta(seconds=policy.lease_seconds):
        return outbox.Reschedule(since + timedelta(seconds=policy.lease_seconds), "in progress")
    _finish(delivery, UNKNOWN, "the send was interrupted after it began; it may have arrived")
    log.warning("email delivery %s: outcome unknown after an interrupted send", delivery.id)
    return UNKNOWN


def record(
    session: Session,
    ready: Ready,
    outcome: Outcome,
    policy: Policy,
    now: datetime | None = None,
) -> str | outbox.Reschedule:
    """Apply the server's answer to the delivery ``ready`` was (see the module docstring).

    One UPDATE, without reading the row again: ``ready`` holds what the
    answer is weighed against (the tries so far), and the row is this
    worker's while it says ``sending``.  Why: a backlog of guide emails
    spent a round trip and an ORM flush here on every email.
    """
    now = now or utcnow()
    codes = {"smtp_code": outcome.code, "smtp_status": outcome.status}
    if outcome.kind == ACCEPTED:
        _set(session, ready.delivery_id, status=SENT, sent_at=now, reason=None, **codes)
        log.info("email delivery %s (%s) sent", ready.delivery_id, ready.purpose)
        return SENT
    if outcome.kind == TRANSIENT and ready.attempts < policy.max_attempts:
        due = now + policy.backoff(ready.attempts)
        why = f"will retry: {outcome.describe()}"
        _set(session, ready.delivery_id, status=PENDING, next_attempt_at=due, reason=why, **codes)
        log.info("email delivery %s: %s; retry due", ready.delivery_id, outcome.describe())
        return outbox.Reschedule(due, outcome.describe())
    if outcome.kind in (TRANSIENT, PERMANENT):
        tries = f" after {ready.attempts} tries" if outcome.kind == TRANSIENT else ""
        # our own decision not to send (``Outcome.note``) says why in the admins' words
        reason = (
            f"not sent: {outcome.note}" if outcome.note else f"refused{tries}: {outcome.describe()}"
        )
        _set(session, ready.delivery_id, status=FAILED, reason=reason, **codes)
        if outcome.bad_mailbox:
            suppress(session, ready.address, "bounced", ready.delivery_id)
        log.warning("email delivery %s failed: %s", ready.delivery_id, outcome.describe())
        return FAILED
    reason = "the connection dropped after the message was handed over"
    _set(session, ready.delivery_id, status=UNKNOWN, reason=reason, **codes)
    log.warning("email delivery %s: outcome unknown (%s)", ready.delivery_id, outcome.describe())
    return UNKNOWN


def _table() -> Table:
    return EmailDelivery.__table__  # type: ignore[return-value]


def _set(session: Session, delivery_id: int, **values: Any) -> None:
    """Write one delivery's answer: the row leaves ``sending`` (Core, no ORM bookkeeping)."""
    table = _table()
    values.setdefault("next_attempt_at", None)
    session.execute(
        update(table).where(table.c.id == delivery_id).values(sending_since=None, **values)
    )


def _finish(delivery: EmailDelivery, status: str, reason: str | None) -> None:
    delivery.status, delivery.reason = status, reason
    delivery.sending_since = None
    delivery.next_attempt_at = None
    object_session(delivery).flush()  # type: ignore[union-attr]


def _why_blocked(session: Session, delivery: EmailDelivery, address: str | None) -> str | None:
    """Why this email must not go out now, or None: consent, suppression, opt-out."""
    if address is None:
        return None
    needed = CONSENT_FOR.get(delivery.purpose)
    suppressed = _suppression(address)
    # the consent and the suppression list in one round trip (both checked before every send)
    row = session.execute(
        select(
            consent.consent_exists(needed, "email", address) if needed else true(),
            suppressed.with_only_columns(EmailSuppression.reason).scalar_subquery(),
            suppressed.with_only_columns(EmailSuppression.created_at).scalar_subquery(),
        )
    ).one()
    if not row[0]:
        return "no email consent (none given, or revoked)"
    reason = _holding(row[1], row[2], delivery.created_at)
    if reason == ERASED_ADDRESS:
        return "the person asked us to delete their information"
    if reason:
        return "the address bounced before"
    return None


ERASED_ADDRESS = "erased"  # the suppression reason a deletion request leaves


def suppression_reason(
    session: Session, address: str, owed_since: datetime | None = None
) -> str | None:
    """Why this address must not be mailed, or None.

    A bounce holds for good.  A deletion holds for what was owed before it:
    someone who asked us to delete their information and later asks for the
    guide again has given their address and consent anew, and gets it.
    """
    row = session.execute(_suppression(address)).first()
    return None if row is None else _holding(row.reason, row.created_at, owed_since)


def _suppression(address: str) -> Select[str, datetime]:
    """The address's suppression row (at most one), as a query."""
    return (
        select(EmailSuppression.reason, EmailSuppression.created_at)
        .where(EmailSuppression.address_hash == email_hash(address))
        .limit(1)
    )


def _holding(reason: str | None, since: datetime | None, owed_since: datetime | None) -> str | None:
    """The suppression's reason if it holds for an email owed since ``owed_since``."""
    if reason is None:
        return None
    erased = reason == ERASED_ADDRESS
    if erased and owed_since is not None and since is not None and owed_since > since:
        return None
    return str(reason)


def is_suppressed(session: Session, address: str) -> bool:
    """True when this address is on the suppression list (a deletion's included)."""
    return suppression_reason(session, address) is not None


def suppress(session: Session, address: str, reason: str, delivery_id: int | None = None) -> None:
    """Never mail this address again (idempotent)."""
    insert_if_absent(
        session,
        EmailSuppression,
        {"address_hash": email_hash(address), "reason": reason, "delivery_id": delivery_id},
    )


def cancel_open(session: Session, contact_id: int, reason: str) -> int:
    """Stop every email still waiting to go to this contact; how many."""
    result = session.execute(
        update(EmailDelivery)
        .where(EmailDelivery.contact_id == contact_id, EmailDelivery.status == PENDING)
        .values(status=SUPPRESSED, reason=reason, next_attempt_at=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def resend(session: Session, delivery_id: int) -> EmailDelivery | None:
    """A person's decision to try a failed or unknown email again: a fresh start and a job.

    None when there is nothing to resend (sent, still open, or suppressed
    for consent: consent is never overridden by staff).
    """
    delivery = session.get(EmailDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.status not in (FAILED, UNKNOWN):
        return None
    if delivery.contact.email and is_suppressed(session, delivery.contact.email):
        return None
    delivery.status, delivery.attempts, delivery.reason = PENDING, 0, None
    delivery.next_attempt_at = delivery.sending_since = None
    delivery.smtp_code = delivery.smtp_status = None
    outbox.enqueue_job(session, TASK_SEND, delivery.id)
    return delivery


def latest_for(session: Session, purpose: str, request_id: int) -> EmailDelivery | None:
    """The delivery of one request's email, for staff pages ("we sent it at 2:14 PM")."""
    return session.scalars(
        select(EmailDelivery).where(
            EmailDelivery.purpose == purpose, EmailDelivery.request_id == request_id
        )
    ).first()


def needing_attention(session: Session, limit: int = 200) -> list[EmailDelivery]:
    """Failed and unknown deliveries, newest first, for the admins' failed-emails page."""
    return list(
        session.scalars(
            select(EmailDelivery)
            .where(EmailDelivery.status.in_((FAILED, UNKNOWN)))
            .order_by(EmailDelivery.updated_at.desc())
            .limit(limit)
        )
    )
