"""A deletion request end to end: the form, the email and its link, the button, then nothing left.

One person asks for the guide (by email and post) and a call, is matched
and called (with a note); another person asks for the guide too.  A real
worker processes everything and sends the emails to an SMTP server in this
process.  The first person then asks, on the public page, for their data
to be deleted, follows the link in the email they receive and presses the
button.  Afterwards every value of every table, sealed columns opened, a
``pg_dump`` and Redis hold none of their values, while the counts (forms
per day, the deletion record) and the other person's data remain.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlalchemy import func, select

from intake.models import (
    AuditEvent,
    Contact,
    DeletionRequest,
    EmailSuppression,
    QueueItem,
    Submission,
)
from intake.services.people import consent
from intake.services.people.contacts import email_hash, phone_hash
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, submit
from tests.privacy_data import ZIPS, Canary, everything, found, queue_and_call
from tests.views.conftest import csrf_token
from tests.worker.conftest import drain, running_worker
from tests.worker.test_canary import _redis_dump
from tests.worker.test_guide_email import mail_app as mail_app  # the fixture

pytestmark = pytest.mark.committed

ANSWER = "If we hold information for that address, we have sent it an email with a link to confirm."
BASE = "https://support.example.org"


def _per_day(session) -> list[tuple]:
    day = func.date(Submission.received_at)
    query = select(day, Submission.form, func.count()).group_by(day, Submission.form)
    return sorted(session.execute(query).all())


def _ask(client, email: str) -> str:
    data = {"csrf_token": csrf_token(client, "/privacy/delete"), "email": email}
    response = client.post("/privacy/delete", data=data)
    assert response.status_code == 200
    return re.sub(
        r'name="csrf_token" type="hidden" value="[^"]+"', "", response.get_data(as_text=True)
    )


def test_a_confirmed_deletion_leaves_no_trace_of_the_person_and_keeps_the_counts(
    mail_app,
    committed_db,
    smtp,  # noqa: F811
):
    person, other = Canary.make(), Canary.make(zip_code=ZIPS[1])
    client = mail_app.test_client()
    from intake.extensions import db

    with running_worker(mail_app):
        assert submit(client, "/guide", person.guide_form(), process=False).status_code == 303
        assert submit(client, "/callback", person.callback_form(), process=False).status_code == 303
        assert submit(client, "/guide", other.guide_form(), process=False).status_code == 303
        guides = smtp.wait_for(2, timeout=90)
        for message in guides:  # every email's footer offers deletion next to unsubscribing
            # in the email's language (these people asked in English)
            assert f"{BASE}/privacy/delete?lang=en" in message.get_body(("plain",)).get_content()
            html = message.get_body(("html",)).get_content()
            assert f'href="{BASE}/privacy/delete?lang=en"' in html

        def queued() -> bool:
            db.session.rollback()
            return bool(db.session.scalar(select(func.count()).select_from(QueueItem)))

        with mail_app.app_context():
            drain(mail_app, queued, timeout=60)
            queue_and_call(db.session, person)
            db.session.commit()
            assert found(everything(db.session), person) == person.values  # the control
            counts_before = _per_day(db.session)

        # the same answer for the person's address and for one we never saw
        assert _ask(client, person.email.upper()) == _ask(client, "never.seen@example.com")
        drain(mail_app, lambda: len(smtp.raw) >= 3, timeout=60)  # beat relays the request's job
        messages = smtp.messages
        [confirm] = [m for m in messages if "confirm" in str(m["Subject"]).lower()]
        assert person.email in str(confirm["To"])
        assert confirm["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = confirm.get_body(("plain",)).get_content()
        link = re.search(rf"{re.escape(BASE)}(/privacy/delete/\S+)", text).group(1)
        assert link in confirm.get_body(("html",)).get_content()

        page = client.get(link)
        assert page.status_code == 200 and "Delete your information?" in page.get_data(as_text=True)
        done = client.post(link, data={"csrf_token": csrf_token(client, link)})
        assert done.status_code == 200
        assert "Your information is deleted" in done.get_data(as_text=True)

    with mail_app.app_context():
        db.session.rollback()
        stored = everything(db.session)
        assert found(stored, person) == []
        # the other person (a guide only: no phone, no call) keeps everything
        assert found(stored, other) == [
            other.first,
            other.last,
            other.street,
            other.email,
            other.zip,
        ]
        assert _per_day(db.session) == counts_before  # forms per day still add up
        requests = db.session.scalars(select(DeletionRequest).order_by(DeletionRequest.id)).all()
        assert [(r.status, r.erased_at is not None) for r in requests] == [
            ("erased", True),
            ("no_match", False),
        ]
        assert all(r.address_hash is None for r in requests)
        erased = db.session.get(Contact, requests[0].contact_id)
        assert erased.erased_at is not None
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.erase")
        ).all()
        # the guide (no phone) and the call came as two contacts; the address owns both
        assert len(events) == 2 and str(erased.id) in {event.target_id for event in events}
        assert all(event.ip is None for event in events)
        suppressed = db.session.scalars(select(EmailSuppression.address_hash)).all()
        assert suppressed == [email_hash(person.email)]
        hashes = [
            phone_hash(person.e164),
            consent.covers_hash("email", person.email),
            consent.covers_hash("phone", person.e164),
        ]

    dump = subprocess.run(  # noqa: S603
        ["pg_dump", "--data-only", TEST_DATABASE_URL], capture_output=True, check=True
    ).stdout.decode("utf-8", "replace")
    assert "COPY" in dump or "INSERT" in dump
    assert found(dump, person) == []
    assert [h for h in hashes if h in dump] == []  # keyed hashes of the number and address too
    assert dump.count(email_hash(person.email)) == 1  # only the suppression, so we never write
    assert found(_redis_dump(TEST_REDIS_URL).decode("utf-8", "replace"), person) == []
