"""After the form, the person's language: the deletion email and its page, the unsubscribe reply.

A deletion asked on the Spanish page is answered in Spanish, whatever
language the person's earlier guide or callback was in; the page its link
opens speaks the email's language.  An email's unsubscribe answers in the
email's language too: the mail client's one-click POST (the
``List-Unsubscribe`` header's link carries ``lang=``) and the page's button,
even when the language cookie has since changed on another page.
"""

from __future__ import annotations

import re
from dataclasses import replace
from email import message_from_bytes, policy
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from intake.models import EmailDelivery, OutboxMessage
from intake.models.email import PURPOSE_DELETION
from intake.services.email import guides
from intake.services.inbox import leads
from intake.services.privacy import deletion
from intake.translator import gettext_for
from tests.conftest import GOOD_GUIDE, submit
from tests.services.inbox.test_leads import guide
from tests.views.conftest import csrf_token

ADDRESS = "rosa.delgado@example.com"
OTHER = {"es": "en", "en": "es"}
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _message(data: bytes):
    return message_from_bytes(data, policy=policy.default)


def _deletion_email(app, db_session) -> bytes:
    """What the worker does with the deletion job: look the address up, compose the email."""
    jobs = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.task_name == deletion.TASK_PROCESS)
    ).all()
    with app.test_request_context():
        for job in jobs:
            deletion.process(db_session, job.args[0])
        db_session.flush()
        delivery = db_session.scalars(
            select(EmailDelivery).where(EmailDelivery.purpose == PURPOSE_DELETION)
        ).one()
        return deletion.compose_confirmation(db_session, delivery, GOOD_GUIDE["email"]).data


@pytest.mark.parametrize("page", ["es", "en"])
def test_the_deletion_email_speaks_the_page_it_was_asked_on(app, client, db_session, page):
    earlier = OTHER[page]  # their guide was in the other language
    assert submit(client, "/guide", {**GOOD_GUIDE, "language": earlier}).status_code == 303
    asked = client.post(
        "/privacy/delete",
        data={"csrf_token": csrf_token(client, f"/privacy/delete?lang={page}"),
              "email": GOOD_GUIDE["email"]},
    )  # fmt: skip
    assert asked.status_code == 200 and f'<html lang="{page}">' in asked.text

    message = _message(_deletion_email(app, db_session))
    subject = {"es": "Confirme que desea borrar su información",
               "en": "Please confirm: delete your information"}  # fmt: skip
    assert message["Subject"] == subject[page]
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/privacy/delete/[^\s?]+\?lang=\w+", text)
    assert link, text
    assert parse_qs(urlsplit(link.group(0)).query)["lang"] == [page]

    # the link opens its page in the email's language, in a browser that never saw our site
    opened = app.test_client(use_cookies=False).get(urlsplit(link.group(0))._replace(
        scheme="", netloc="").geturl())  # fmt: skip
    heading = gettext_for(page)("Delete your information?")
    assert opened.status_code == 200 and f'<html lang="{page}">' in opened.text
    assert f"<h1>{heading}</h1>" in opened.text


def _spanish_guide_email(app, db_session) -> bytes:
    outcome = leads.submit_guide_request(db_session, replace(guide(email=ADDRESS), language="es"))
    db_session.flush()
    delivery = db_session.scalars(
        select(EmailDelivery).where(EmailDelivery.request_id == outcome.request.id)
    ).one()
    with app.test_request_context():
        return guides.compose_email(db_session, delivery, ADDRESS).data


def _local(url: str) -> str:
    """An absolute link of ours as the test client asks for it: path and query."""
    parts = urlsplit(url.replace("&amp;", "&"))
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_the_one_click_unsubscribe_answers_in_the_emails_language(app, db_session):
    message = _message(_spanish_guide_email(app, db_session))
    header = re.search(r"<(https?://[^>]+)>", str(message["List-Unsubscribe"])).group(1)
    assert parse_qs(urlsplit(header).query).get("lang") == ["es"], header
    # a mail client posts with no cookie and no Accept-Language
    answer = app.test_client(use_cookies=False).post(_local(header), data=ONE_CLICK)
    assert answer.status_code == 200
    assert answer.text == gettext_for("es")("You are unsubscribed from our emails.") + "\n"
    assert "unsubscribed" not in answer.text


def test_the_unsubscribe_page_and_its_reply_follow_the_emails_link(app, client, db_session):
    message = _message(_spanish_guide_email(app, db_session))
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/unsubscribe/\S+", text).group(0)
    page = client.get(_local(link))
    es = gettext_for("es")
    assert page.status_code == 200 and '<html lang="es">' in page.text
    assert f"<h1>{es('Stop our emails?')}</h1>" in page.text
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', page.text).group(1))

    client.set_cookie("lang", "en")  # the reader looked at an English page in another tab
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = client.post(action, data={"csrf_token": token})
    assert done.status_code == 200 and '<html lang="es">' in done.text
    assert f"<h1>{es('You are unsubscribed')}</h1>" in done.text
