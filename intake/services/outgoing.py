"""Send one owed email: the composer for its purpose, the configured transport, the policy.

What the ``emails.send`` task calls.  Each purpose has its composer (the
guide email attaches the reader's PDF); the transport is this process's
SMTP connection to ``SMTP_HOST`` (or the local mailbox).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from intake.mail.transport import SmtpSettings, SmtpTransport
from intake.models.email import PURPOSE_DELETION, PURPOSE_GUIDE, PURPOSE_UNREACHABLE
from intake.services import deletion, emails, guides, notices, outbox

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
    """Take one delivery one step (see ``services/emails.py`` for the states)."""
    from intake.models.email import EmailDelivery

    delivery = session.get(EmailDelivery, delivery_id)
    if delivery is None:
        return "gone"
    compose = COMPOSERS[delivery.purpose]
    policy = emails.Policy.from_config(current_app.config)
    return emails.send(session, delivery_id, compose, transport(), policy)
