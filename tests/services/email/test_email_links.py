"""Links in an email open their page in its language: a Spanish email never leads to English.

The guide email (both parts, and the web address in its PDF) and the
deletion email are composed as the worker composes them, and every link to
our site is read back.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from intake.models import EmailDelivery
from intake.models.email import PURPOSE_DELETION
from intake.services.email import guides
from intake.services.inbox import leads
from intake.services.privacy import deletion
from tests.services.inbox.test_leads import guide

ADDRESS = "rosa.delgado@example.com"


def _our_links(body: str, base: str) -> list[str]:
    """Every address of our site in a text or HTML part."""
    return re.findall(rf"{re.escape(base)}[^\s\"'<>]*", body)


def _language_of(link: str) -> list[str]:
    return parse_qs(urlsplit(link.replace("&amp;", "&")).query).get("lang", [])


def _parts(data: bytes) -> tuple[str, str, bytes]:
    message = message_from_bytes(data, policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    pdf = next(part for part in message.iter_attachments()).get_content()
    return text, html, pdf


def _guide_email(app, session, language: str) -> tuple[str, str, bytes]:
    outcome = leads.submit_guide_request(session, replace(guide(email=ADDRESS), language=language))
    session.flush()
    delivery = session.scalars(
        select(EmailDelivery).where(EmailDelivery.request_id == outcome.request.id)
    ).one()
    with app.test_request_context():
        return _parts(guides.compose_email(session, delivery, ADDRESS).data)


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_link_in_the_guide_email_carries_its_language(app, db_session, language):
    base = app.config["PUBLIC_BASE_URL"]
    text, html, pdf = _guide_email(app, db_session, language)
    for part in (text, html):
        found = _our_links(part, base)
        paths = {urlsplit(link).path.split("/")[1] for link in found}
        assert {"callback", "unsubscribe", "privacy"} <= paths, found
        for link in found:
            assert _language_of(link) == [language], link
    # the guide's own "online" address opens the site in the guide's language
    uris = [
        annotation.get_object()["/A"]["/URI"]
        for page in PdfReader(io.BytesIO(pdf)).pages
        for annotation in page.get("/Annots", [])
        if "/A" in annotation.get_object() and "/URI" in annotation.get_object()["/A"]
    ]
    ours = [uri for uri in uris if uri.startswith(base)]
    assert ours and all(_language_of(uri) == [language] for uri in ours), ours


def test_the_spanish_deletion_email_links_to_spanish_pages(app, db_session):
    leads.submit_guide_request(db_session, replace(guide(email=ADDRESS), language="es"))
    row = deletion.request_deletion(db_session, ADDRESS)
    with app.test_request_context():
        assert deletion.process(db_session, row.id)
        delivery = db_session.scalars(
            select(EmailDelivery).where(EmailDelivery.purpose == PURPOSE_DELETION)
        ).one()
        data = deletion.compose_confirmation(db_session, delivery, ADDRESS).data
    message = message_from_bytes(data, policy=policy.default)
    base = app.config["PUBLIC_BASE_URL"]
    for part in (message.get_body(("plain",)), message.get_body(("html",))):
        found = _our_links(part.get_content(), base)
        assert any("/privacy/delete/" in link for link in found), found
        assert any("/unsubscribe/" in link for link in found), found
        for link in found:
            assert _language_of(link) == ["es"], link
