"""Short emails about a call: "we tried to reach you", after the last unanswered attempt."""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy.orm import Session

from intake.mail import compose
from intake.models.callback import CallbackRequest
from intake.models.email import PURPOSE_UNREACHABLE, EmailDelivery
from intake.services.email import guides, links, unsubscribe


def compose_unreachable(
    session: Session, delivery: EmailDelivery, address: str
) -> compose.Outgoing:
    """The "we tried to reach you" email for one exhausted callback request."""
    request = session.get(CallbackRequest, delivery.request_id)
    if request is None:
        raise LookupError(f"callback request {delivery.request_id} is gone")
    contact, config = request.contact, current_app.config
    language = request.language if request.language in ("en", "es") else "en"
    token = unsubscribe.token_for(contact.id, address)
    context = {
        "first_name": contact.first_name,
        "language": language,
        "org": guides.organisation(),
        "postal_address": config["MAIL_POSTAL_ADDRESS"],
        **links.links_for(language, config["PUBLIC_BASE_URL"], unsubscribe.url_for_token(token)),
    }
    subject = "Intentamos llamarle" if language == "es" else "We tried to reach you"
    return compose.build(
        mail_from=config["MAIL_FROM"],
        to_name=contact.first_name,
        to_address=address,
        subject=subject,
        text=render_template(f"emails/unreachable.{language}.txt", **context),
        html=render_template(f"emails/unreachable.{language}.html", **context),
        msg_id=compose.message_id(
            PURPOSE_UNREACHABLE, request.id, contact.id, compose.domain_of(config["MAIL_FROM"])
        ),
        # a mail client's one-click unsubscribe answers in the email's language too
        unsubscribe_url=links.in_language(unsubscribe.url_for_token(token), language),
        unsubscribe_mailto_url=compose.unsubscribe_mailto(config["MAIL_FROM"], token),
        dkim=guides.dkim_key(),
    )
