"""The free guide: what one request's PDF holds, and its email.

The rendering itself (templates to PDF, the per-variant cache, the reader's
own pages) is ``intake.guide.render``; this module gathers what it needs
from the database: the diagnosis facts and topics that choose the variant,
and the reader's name, date and specialists near them that make it theirs.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from intake import translator
from intake.config import PROJECT_ROOT
from intake.guide.outline import Variant
from intake.guide.render import GuideRenderer, MatchCard, Org, Personal
from intake.mail import compose
from intake.matching import sections
from intake.matching.types import LANGUAGE_LABELS, Match, MatchQuery
from intake.matching.wording import ENGLISH, Wording
from intake.models.base import utcnow
from intake.models.contact import Case, Contact
from intake.models.email import PURPOSE_GUIDE, EmailDelivery
from intake.models.outbox import OutboxMessage
from intake.models.request import GuideRequest
from intake.services.directory import match_query, match_sections
from intake.services.email import emails, fulfilment, links, unsubscribe

log = logging.getLogger(__name__)

GUIDE_MATCHES = 5


def renderer() -> GuideRenderer:
    """This process's renderer for today's settings (its variant cache lives with it).

    The cached bodies print our name, phone, website and address, so a
    renderer made before any of them changed is replaced, not reused.
    """
    org = organisation()
    existing = current_app.extensions.get("guide_renderer")
    if existing is None or existing.org != org:
        cache = current_app.config.get("GUIDE_CACHE_DIR")
        existing = GuideRenderer(
            PROJECT_ROOT / "templates",
            PROJECT_ROOT / "static",
            Path(cache) if cache else None,
            org,
        )
        current_app.extensions["guide_renderer"] = existing
    return existing


def organisation() -> Org:
    """Who we are, as the guide and the emails name us."""
    config = current_app.config
    return Org(
        name="Mesothelioma Patient Support",
        phone=config["ADVOCATE_PHONE"],
        website=config["PUBLIC_BASE_URL"],
        postal_address=config["MAIL_POSTAL_ADDRESS"].replace(", ", "\n", 1),
    )


def variant_for(request: GuideRequest, case: Case | None) -> Variant:
    """The facts that choose the guide's chapters (never who it is for)."""
    return Variant(
        diagnosis_type=case.diagnosis_type if case else None,
        stage=case.stage if case else None,
        cell_type=case.cell_type if case else None,
        veteran=case.veteran if case else None,
        topics=frozenset(request.topics or ()),
        language=request.language or "en",
    )


def guide_query(query: MatchQuery, language: str) -> MatchQuery:
    """The guide's query: the page's and the API's, with the reader's language as the lift.

    The first GUIDE_MATCHES results, video visits welcome; the need is the
    query's (treatment unless the request says otherwise).
    """
    lift = language if language in LANGUAGE_LABELS else "en"
    return replace(query, language=lift, telehealth_ok=True, limit=GUIDE_MATCHES)


def matches_for(
    session: Session, query: MatchQuery, language: str
) -> tuple[tuple[MatchCard, ...], str]:
    """The guide's cards for a query, in the page's sections and order, and the far note."""
    matches = match_query.find_matches(session, query)
    reach = sections.reach_of(query)
    groups = sections.group(matches, query.need, query.zip, reach, language)
    words = translator.wording(language)
    cards = tuple(
        card_for(match, group.title, words) for group in groups for match in group.matches
    )
    return cards, match_sections.far_note(session, query, matches, language)


def card_for(match: Match, section_title: str = "", words: Wording = ENGLISH) -> MatchCard:
    """A match as the guide prints it: public listing facts, reasons in the reader's words."""
    item = match.listing
    return MatchCard(
        name=item.name,
        institution=item.institution,
        city=item.city,
        state=item.state,
        distance_miles=match.distance_miles,
        reasons=patient_reasons(match, words),
        phone=item.phone,
        website=item.website,
        telehealth=item.telehealth,
        section_title=section_title,
    )


def patient_reasons(match: Match, words: Wording = ENGLISH) -> tuple[str, ...]:
    """The reasons as the guide prints them: the card shows the distance on its own line."""
    return words.reasons(match.why, distance=False)


def personal_for(session: Session, request: GuideRequest, contact: Contact) -> Personal:
    """The reader's own parts: their name, today, and specialists near the ZIP they gave."""
    case = request.case
    matches: tuple[MatchCard, ...] = ()
    note = ""
    query = match_query.query_for_case(case) if case else None
    if query is not None:
        language = request.language or "en"
        matches, note = matches_for(session, guide_query(query, language), language)
    name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
    return Personal(
        name=name or None,
        prepared_on=date.today(),
        zip=case.zip if case else None,
        matches=matches,
        matches_note=note,
    )


def render_for_request(session: Session, request: GuideRequest) -> bytes:
    """The PDF one guide request should receive."""
    shared, own = render_parts_for_request(session, request)
    return shared + own


def render_parts_for_request(session: Session, request: GuideRequest) -> tuple[bytes, bytes]:
    """That PDF as (a part shared with other readers, this reader's own part)."""
    personal = personal_for(session, request, request.contact)
    return renderer().render_parts(variant_for(request, request.case), personal)


def requests_for_deliveries(session: Session, delivery_ids: list[int]) -> list[GuideRequest]:
    """The guide requests behind these deliveries, with their cases and contacts, in one query.

    A batch of guide emails loads them up front (and keeps them) so that
    ``compose_email`` finds each in the session instead of asking again.
    """
    if not delivery_ids:
        return []
    owed = (EmailDelivery.request_id == GuideRequest.id) & (EmailDelivery.purpose == PURPOSE_GUIDE)
    return list(
        session.scalars(
            select(GuideRequest)
            .join(EmailDelivery, owed)
            .where(EmailDelivery.id.in_(delivery_ids))
            .options(joinedload(GuideRequest.case), joinedload(GuideRequest.contact))
        ).unique()
    )


def compose_email(session: Session, delivery: EmailDelivery, address: str) -> compose.Outgoing:
    """The guide email for one delivery: text and HTML, the personal PDF attached."""
    request = session.get(
        GuideRequest, delivery.request_id, options=[joinedload(GuideRequest.case)]
    )
    if request is None:
        raise LookupError(f"guide request {delivery.request_id} is gone")
    shared, own = render_parts_for_request(session, request)
    contact = request.contact
    language = request.language if request.language in ("en", "es") else "en"
    token = unsubscribe.token_for(contact.id, address)
    context = {
        "first_name": contact.first_name,
        "language": language,
        "org": organisation(),
        "postal_address": current_app.config["MAIL_POSTAL_ADDRESS"],
        "pages": None,
        **links.links_for(
            language, current_app.config["PUBLIC_BASE_URL"], unsubscribe.url_for_token(token)
        ),
    }
    config = current_app.config
    subject = (
        "Su guía gratuita sobre el mesotelioma"
        if language == "es"
        else "Your free mesothelioma guide"
    )
    filename = "guia-mesotelioma.pdf" if language == "es" else "mesothelioma-guide.pdf"
    return compose.build(
        mail_from=config["MAIL_FROM"],
        to_name=" ".join(p for p in (contact.first_name, contact.last_name) if p) or None,
        to_address=address,
        subject=subject,
        text=render_template(f"emails/guide.{language}.txt", **context),
        html=render_template(f"emails/guide.{language}.html", **context),
        msg_id=compose.message_id(
            PURPOSE_GUIDE, request.id, contact.id, compose.domain_of(config["MAIL_FROM"])
        ),
        # a mail client's one-click unsubscribe answers in the email's language too
        unsubscribe_url=links.in_language(unsubscribe.url_for_token(token), language),
        unsubscribe_mailto_url=compose.unsubscribe_mailto(config["MAIL_FROM"], token),
        attachments=(compose.Attachment(filename, shared + own, shared_prefix=shared),),
        dkim=dkim_key(),
    )


def dkim_key() -> compose.Dkim | None:
    """The DKIM key when one is configured (``DKIM_*``: PEM text or a file path)."""
    config = current_app.config
    selector, domain, key = (
        config.get("DKIM_SELECTOR"),
        config.get("DKIM_DOMAIN"),
        config.get("DKIM_PRIVATE_KEY"),
    )
    if not (selector and domain and key):
        return None
    pem = key.encode() if "BEGIN" in key else Path(key).read_bytes()
    return compose.Dkim(selector, domain, pem)


def deliver_guide(session: Session, guide_request_id: int) -> bool:
    """Owe a guide request its email and printed copy; False if already done or gone.

    New requests get both when the form is processed (``leads.py``); this
    is the outbox job for requests received before that, kept so their rows
    still lead somewhere.
    """
    request = session.scalars(
        select(GuideRequest).where(GuideRequest.id == guide_request_id).with_for_update()
    ).first()
    if request is None or request.status != "received":
        return False
    owe_deliveries(session, request)
    return True


def owe_deliveries(session: Session, request: GuideRequest) -> list[OutboxMessage]:
    """Owe the email (its send job is returned) and the printed copy one request asked for."""
    jobs: list[OutboxMessage] = []
    if request.deliver_email:
        job = emails.queue_email(session, request.contact, PURPOSE_GUIDE, request.id)
        jobs.extend([job] if job is not None else [])
    if request.deliver_mail:
        fulfilment.queue_print(session, request)
    request.status, request.processed_at = "processed", utcnow()
    return jobs
