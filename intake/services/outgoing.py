"""Send owed emails: the composer for each purpose, the configured transport, the policy.

What the ``emails.send`` task calls for one email, and ``emails.send_many``
for a batch (``send_batch``).  Each purpose has its composer (the guide
email attaches the reader's PDF); the transport is this process's SMTP
connection to ``SMTP_HOST`` (or the local mailbox).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session

from intake.logsafe import describe_failure
from intake.mail.compose import Outgoing
from intake.mail.transport import TRANSIENT, SmtpSettings, SmtpTransport
from intake.models.base import utcnow
from intake.models.email import PURPOSE_DELETION, PURPOSE_GUIDE, PURPOSE_UNREACHABLE, EmailDelivery
from intake.services import outbox
from intake.services.email import emails, guides, notices
from intake.services.privacy import deletion

log = logging.getLogger(__name__)

COMPOSERS: dict[str, emails.Composer] = {
    PURPOSE_GUIDE: guides.compose_email,
    PURPOSE_UNREACHABLE: notices.compose_unreachable,
    PURPOSE_DELETION: deletion.compose_confirmation,
}


def transport() -> SmtpTransport:
    """This process's SMTP transport (one reused connection per thread)."""
    existing = current_app.extensions.get("mail_transport")
    if existing is None:
        config = current_app.config
        existing = SmtpTransport(
            SmtpSettings(
                host=config["SMTP_HOST"],
                port=int(config["SMTP_PORT"]),
                username=config["SMTP_USERNAME"],
                password=config["SMTP_PASSWORD"],
                starttls=bool(config["SMTP_STARTTLS"]),
                timeout=float(config["SMTP_TIMEOUT"]),
            )
        )
        current_app.extensions["mail_transport"] = existing
    return existing


def send_delivery(session: Session, delivery_id: int) -> str | outbox.Reschedule:
    """Take one delivery one step (see ``services/email/emails.py`` for the states)."""
    delivery = session.get(EmailDelivery, delivery_id)
    if delivery is None:
        return "gone"
    compose = COMPOSERS[delivery.purpose]
    policy = emails.Policy.from_config(current_app.config)
    return emails.send(session, delivery_id, compose, transport(), policy)


BATCH_SECONDS = 60.0  # a batch stops taking new emails after this long (the time limit is 240 s)


def _compose_any(session: Session, delivery: EmailDelivery, address: str) -> Outgoing:
    return COMPOSERS[delivery.purpose](session, delivery, address)


def send_batch(
    session: Session, jobs: list[list[int]], budget_seconds: float = BATCH_SECONDS
) -> Counter[str]:
    """Take each ``[outbox row id, delivery id]`` one step, over one SMTP connection.

    Why: a backlog of guide emails spent more on the job around each email
    (a broker message, a start to count, three commits) than on the email.
    Here a batch counts its starts in one statement, loads its guide
    requests in one query, and each email commits its ``sending`` mark just
    before its DATA and the server's answer as soon as it comes: at most one
    delivery ``sending`` at any moment, and only while its DATA is with the
    server, so a worker killed mid-batch leaves exactly what a killed single
    job leaves (``services/email/emails.py``).

    Each row keeps its own count and re-publish time.  What keeps an email
    from going twice is its delivery's row (locked while it is prepared,
    ``sending`` before DATA), not the outbox row: so a batch takes no lock
    on the outbox rows, and stamps those it finished in one statement at
    its end (a crash before it leaves them to run again, and they find
    their emails sent).  An email whose composer fails is recorded as that
    row's failure and the batch goes on; when the server cannot be reached,
    or the batch has run ``budget_seconds``, the rest are rescheduled
    untried (no attempt counted).  A database error ends the batch: its
    unfinished rows are handed out again by the relay.
    """
    config = current_app.config
    republish = outbox.RepublishPolicy.from_config(config)
    pairs = [(int(job[0]), int(job[1])) for job in jobs]
    counts: Counter[str] = Counter()
    with _kept_across_commits(session) as kept:
        try:
            started = outbox.begin_runs(session, [outbox_id for outbox_id, _ in pairs], republish)
            # what the emails are built from, in one query for the batch instead of one each
            owed = [delivery_id for outbox_id, delivery_id in pairs if outbox_id in started]
            kept.extend(guides.requests_for_deliveries(session, owed))
            session.commit()  # the starts count even if this process dies in the work
        except SQLAlchemyError as exc:
            session.rollback()
            log.error("email batch could not start: %s", describe_failure(exc))
            return counts
        finished = _send_each(session, pairs, started, counts, time.monotonic() + budget_seconds)
    if finished is not None:
        session.commit()  # the rows put off (answers are in already): never wait on the stamps
        outbox.mark_processed_many(session, finished)
        session.commit()
    return counts


@contextmanager
def _kept_across_commits(session: Session) -> Iterator[list[object]]:
    """Objects loaded in here stay loaded across the batch's commits (one per email).

    Why: a commit expires everything the session holds, so each email would
    load its guide request again.  What an email must see fresh, its
    delivery and contact, ``emails.prepare`` reads under lock with
    ``populate_existing``; the rest (a request's topics, language and case)
    do not change while it waits.  The session keeps only objects someone
    refers to: the list yielded is that someone.
    """
    own = session() if isinstance(session, scoped_session) else session  # the scope's own session
    before = own.expire_on_commit
    own.expire_on_commit = False
    kept: list[object] = []
    try:
        yield kept
    finally:
        own.expire_on_commit = before
        own.expire_all()


def _send_each(
    session: Session,
    pairs: list[tuple[int, int]],
    started: set[int],
    counts: Counter[str],
    deadline: float,
) -> list[int] | None:
    """The batch's emails in turn: the outbox rows finished, or None when the database failed."""
    config = current_app.config
    republish = outbox.RepublishPolicy.from_config(config)
    policy = emails.Policy.from_config(config)
    hold_until: datetime | None = None  # the server was unreachable: the rest wait until then
    smtp = transport()
    finished: list[int] = []
    for outbox_id, delivery_id in pairs:
        if outbox_id not in started:
            counts["not run"] += 1
            continue
        if hold_until is not None or time.monotonic() > deadline:
            outbox.reschedule(session, outbox_id, hold_until or utcnow())
            counts["later"] += 1
            continue
        try:
            result, unreachable = _batch_step(session, outbox_id, delivery_id, smtp, policy)
        except SQLAlchemyError as exc:
            session.rollback()
            log.error("email batch stopped at outbox row %s: %s", outbox_id, describe_failure(exc))
            counts["stopped"] += 1
            return None
        except Exception as exc:  # this email's composer: its row fails, the batch goes on
            log.error("outbox row %s failed in a batch: %s", outbox_id, describe_failure(exc))
            outbox.record_failure(session, outbox_id, describe_failure(exc), republish)
            counts["failed run"] += 1
            continue
        if isinstance(result, outbox.Reschedule):
            if unreachable:
                hold_until = result.at
            counts["rescheduled"] += 1
        else:
            finished.append(outbox_id)
            counts[result] += 1
    return finished


def _batch_step(
    session: Session, outbox_id: int, delivery_id: int, smtp: SmtpTransport, policy: emails.Policy
) -> tuple[str | outbox.Reschedule, bool]:
    """One row of a batch: its result, and whether the server could not be reached."""
    now = utcnow()
    step = emails.prepare(session, delivery_id, _compose_any, policy, now)
    if not isinstance(step, emails.Ready):
        if isinstance(step, outbox.Reschedule):
            outbox.reschedule(session, outbox_id, step.at)
        return step, False
    session.commit()  # this email's "sending" before its DATA
    outgoing = step.outgoing
    outcome = smtp.send(
        outgoing.sender, outgoing.recipient, outgoing.data, outgoing.clean, outgoing.quoted
    )
    unreachable = outcome.kind == TRANSIENT and outcome.stage == "connect"
    result = emails.record(session, step, outcome, policy, now)
    if isinstance(result, outbox.Reschedule):
        outbox.reschedule(session, outbox_id, result.at)
    # The answer at once, not with the next email's mark: a worker killed while it builds
    # the next email (a guide's PDF), or a database error there, would otherwise undo it,
    # and an accepted email would end "unknown" (a person may resend it: a duplicate), a
    # refused one "unknown" too and never be retried.
    session.commit()
    return result, unreachable
