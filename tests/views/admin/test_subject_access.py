"""/admin/people: an admin finds a person, downloads all their data, or erases it; audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from intake.models import AuditEvent, Contact
from intake.services.directory import specialists
from intake.services.people.contacts import email_hash
from tests.conftest import submit
from tests.privacy_data import Canary, found, queue_and_call
from tests.views.conftest import post_form


@pytest.fixture
def canary(client, db_session) -> tuple[Canary, Contact]:
    specialists.load_demo(db_session)
    person = Canary.make()
    submit(client, "/guide", person.guide_form())
    submit(client, "/callback", person.callback_form())
    queue_and_call(db_session, person)
    contact = db_session.scalars(  # the one who gave the phone too (the guide form asks none)
        select(Contact).where(
            Contact.email_hash == email_hash(person.email), Contact.phone_hash.is_not(None)
        )
    ).one()
    return person, contact


def audit_rows(db_session, action: str) -> list[AuditEvent]:
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def export(client, contact_id: int) -> dict:
    response = post_form(client, "/admin/people/export", {"contact_id": contact_id},
                         token_from="/admin/people")  # fmt: skip
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="contact-{contact_id}-data.json"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def test_the_export_holds_everything_and_is_audited_once(client, db_session, login_as, canary):
    person, contact = canary
    guide_contact = db_session.scalars(  # the guide came as a contact of its own: no phone
        select(Contact).where(
            Contact.email_hash == email_hash(person.email), Contact.id != contact.id
        )
    ).one()
    login_as("admin")
    data, guide_data = export(client, contact.id), export(client, guide_contact.id)
    both = json.dumps([data, guide_data])
    assert found(both, person) == person.values  # every value is in the two, opened
    assert data["contact"]["email"] == person.email and data["contact"]["phone"] == person.e164
    assert {c["purpose"] for c in data["consents"]} >= {"advocate_calls"}
    assert {c["purpose"] for c in guide_data["consents"]} >= {"guide_email"}
    line1 = guide_data["guide_requests"][0]["postal_address"]["line1"]
    assert line1.endswith(f"{person.street} Road")
    assert guide_data["guide_requests"][0]["forms_received"][0]["as_sent"]["data"]["person"]
    assert data["cases"][0]["zip"] == "59901" and data["cases"][0]["matches"]
    assert data["facts_given"][0]["facts"]["diagnosis_type"] == "pleural"
    assert data["calls"][0]["attempts"][0]["note"] == person.note
    assert {e["purpose"] for e in guide_data["emails"]} == {"guide"}

    events = audit_rows(db_session, "privacy.export")
    assert [e.target_id for e in events] == [str(contact.id), str(guide_contact.id)]
    assert found(json.dumps([e.detail for e in events]), person) == []
    assert events[0].detail["calls"] == 1


def test_an_advocate_may_not_export_or_erase(client, db_session, login_as, canary):
    _person, contact = canary
    login_as("advocate")
    for path in ("/admin/people/export", "/admin/people/erase"):
        response = post_form(client, path, {"contact_id": contact.id, "confirmed": "yes"},
                             token_from="/advocate/")  # fmt: skip
        assert response.status_code == 403, path
    assert client.get("/admin/people").status_code == 403
    assert audit_rows(db_session, "privacy.export") == []


def test_an_admin_finds_a_person_by_email_without_putting_it_in_the_log(
    client, db_session, login_as, canary
):
    person, contact = canary
    login_as("admin")
    response = post_form(client, "/admin/people", {"email": person.email.upper()})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f"Contact {contact.id}: {person.first}" in html
    assert "2 people gave this." in html  # the guide and the call came as two contacts
    [event] = audit_rows(db_session, "privacy.search")
    assert event.detail == {"by": "email", "found": 2}
    missing = post_form(client, "/admin/people", {"phone": "(212) 555-0188"})
    assert "Nobody with that email address" in missing.get_data(as_text=True)
    bad = post_form(client, "/admin/people", {"contact_id": "1 OR 1=1"})
    assert bad.status_code == 400


def test_an_admin_erases_a_person_who_asked_by_phone(client, db_session, login_as, canary):
    person, contact = canary
    login_as("admin")
    unticked = post_form(client, "/admin/people/erase", {"contact_id": contact.id},
                         token_from="/admin/people")  # fmt: skip
    assert unticked.status_code == 303
    db_session.refresh(contact)
    assert contact.erased_at is None
    done = post_form(client, "/admin/people/erase", {"contact_id": contact.id, "confirmed": "yes"},
                     token_from="/admin/people")  # fmt: skip
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.get(Contact, contact.id).erased_at is not None
    [event] = audit_rows(db_session, "privacy.erase")
    assert event.detail["reason"] == "admin" and event.actor_id is not None
    exported = post_form(client, "/admin/people/export", {"contact_id": contact.id},
                         token_from="/admin/people")  # fmt: skip
    assert found(exported.get_data(as_text=True), person) == []  # nothing left to give
    count = db_session.scalar(select(func.count()).select_from(AuditEvent))
    assert count >= 3


def test_the_export_lists_their_emails_in_the_local_mailbox(
    app, client, db_session, login_as, tmp_path, monkeypatch
):
    from intake.mail import mailbox
    from tests.services.privacy.test_erasure import kept_email

    person = Canary.make()
    assert submit(client, "/guide", {**person.guide_form(), "deliver_mail": ""}).status_code == 303
    contact = db_session.scalars(
        select(Contact).where(Contact.email_hash == email_hash(person.email))
    ).one()
    folder = tmp_path / "mailbox"
    monkeypatch.setitem(app.config, "LOCAL_MAILBOX", True)
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(folder))
    mailbox.store(folder, kept_email(person.first, person.email))
    mailbox.store(folder, kept_email(person.first, person.email, "Your call with us"))
    mailbox.store(folder, kept_email("Otherperson", "other.person@example.com", "Not theirs"))
    login_as("admin")
    response = post_form(client, "/admin/people/export", {"contact_id": contact.id},
                         token_from="/admin/people")  # fmt: skip
    kept = json.loads(response.get_data(as_text=True))["local_mailbox"]
    assert [m["subject"] for m in kept] == ["Your free mesothelioma guide", "Your call with us"]
    assert all(m["received_at"].startswith("20") for m in kept)  # when, as ISO 8601
