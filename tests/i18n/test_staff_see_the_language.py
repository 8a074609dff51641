"""Staff pages stay English but name a lead's language plainly: "Spanish", never a code.

The queue says what a call needs ("Spanish"); the lead's page says it for the
callback request and for each guide the person asked for ("Guide request in
Spanish"), so the advocate knows which language the person has read us in.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from intake.models import CallbackRequest, GuideRequest, QueueItem
from intake.services.inbox import callbacks, leads
from tests.conftest import GOOD_CALLBACK, submit
from tests.services.inbox.test_leads import guide
from tests.views.conftest import make_user, post_form, sign_in


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_queue_and_the_lead_page_name_the_language(client, db_session, monkeypatch):
    from intake import calling

    real = calling.check  # every minute callable: the test's clock is the real one
    monkeypatch.setattr(calling, "check", lambda *args: replace(real(*args), allowed=True))
    asked = submit(client, "/callback?lang=es", {**GOOD_CALLBACK, "veteran": "no"})
    assert asked.status_code == 303
    request = db_session.scalars(select(CallbackRequest)).one()
    callbacks.queue_callback(db_session, request.id)
    item = db_session.scalars(select(QueueItem)).one()
    item.callable_from = datetime(2026, 1, 1, tzinfo=UTC)
    spanish = leads.submit_guide_request(
        db_session, replace(guide(email=GOOD_CALLBACK["email"]), language="es")
    ).request
    db_session.get(GuideRequest, spanish.id).contact_id = item.contact_id  # the same person
    db_session.flush()

    sign_in(client, db_session, make_user(db_session, "advocate", skills=["es"]))
    panel = client.get("/advocate/queue/panel").text
    assert "<td>Spanish</td>" in panel and "<td>es</td>" not in panel
    opened = post_form(client, "/advocate/claim-next", token_from="/advocate/")
    lead = _text(client.get(opened.headers["Location"]).text)
    assert "needs: Spanish" in lead
    assert re.search(r"Callback request, .{5,40}: Morning \(8 AM to noon\), Spanish", lead), lead
    assert "Guide request in Spanish" in lead, lead
    # a bare code as a word (a consent wording's version id, "...-2026-12-05-es", is a name)
    code = re.search(r".{60}(?<![-\w])(es|en)(?![-\w]).{60}", lead)
    assert not code, code.group(0)
