"""The callback form: storage, consent ledger, outbox, confirmation, validation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from intake.models import CallbackRequest, CaseContact, ConsentRecord, Contact, OutboxMessage
from intake.services.people.consent import CALLBACK_CONSENT, FOLLOWUP_EMAIL_CONSENT
from tests.conftest import GOOD_CALLBACK, field_errors, submit

NY = ZoneInfo("America/New_York")


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_callback_request_is_stored_with_contact_case_consent_and_a_queue_job(client, db_session):
    response = submit(client, "/callback", GOOD_CALLBACK)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/callback/thanks?ref=")

    request = db_session.scalars(select(CallbackRequest)).one()
    assert (request.status, request.best_time, request.language) == ("received", "morning", "es")
    assert request.times_requested == 1
    contact = db_session.get(Contact, request.contact_id)
    assert (contact.first_name, contact.last_name) == ("Maria", "Lopez")
    assert contact.phone == "+12125550143" and contact.email == "maria.lopez@example.com"
    case = request.case
    assert (case.diagnosis_type, case.stage, case.veteran) == ("pleural", "3", True)
    assert (case.zip, case.state, case.timezone) == ("10001", "NY", "America/New_York")
    link = db_session.scalars(select(CaseContact)).one()
    assert (link.case_id, link.contact_id, link.relation) == (case.id, contact.id, "spouse_partner")

    ledger = {r.purpose: r for r in db_session.scalars(select(ConsentRecord))}
    assert set(ledger) == {"advocate_calls", "followup_emails"}
    calls = ledger["advocate_calls"]
    assert (calls.channel, calls.covers, calls.contact_id) == ("phone", "+12125550143", contact.id)
    assert calls.text_version == "callback-calls-2026-11-01"
    assert calls.text_sha256 == CALLBACK_CONSENT.sha256
    assert calls.ip_address == "127.0.0.1" and calls.revoked_at is None
    emails = ledger["followup_emails"]
    assert (emails.channel, emails.covers) == ("email", "maria.lopez@example.com")
    assert emails.text_version == FOLLOWUP_EMAIL_CONSENT.version

    queue = select(OutboxMessage).where(OutboxMessage.task_name == "callbacks.enqueue")
    job = db_session.scalars(queue).one()
    assert (job.args, job.status) == ([request.id], "pending")


def test_email_fallback_consent_is_opt_in_and_needs_an_email(client, db_session):
    submit(client, "/callback", GOOD_CALLBACK, email_fallback=None)
    assert set(db_session.scalars(select(ConsentRecord.purpose))) == {"advocate_calls"}
    # ticked with no email to fall back to: an error at the box, not a silent drop
    response = submit(
        client, "/callback", GOOD_CALLBACK, phone="212-555-0177", email="", email_fallback="y"
    )
    assert response.status_code == 400
    assert field_errors(response) == ["Please enter your email address above, or untick this box."]


@pytest.mark.parametrize(
    ("moment", "best_time", "expected"),
    [
        # no shifts set: the staffed hours decide, and no number of minutes is promised
        (datetime(2026, 11, 3, 9, 30, tzinfo=NY), "morning", "as soon as one is free"),
        (datetime(2026, 11, 3, 22, 15, tzinfo=NY), "morning", "tomorrow after 8:00 AM your time"),
    ],
)
def test_thanks_page_says_when_to_expect_the_call(client, monkeypatch, moment, best_time, expected):
    from intake.services.queue import waiting

    response = submit(client, "/callback", GOOD_CALLBACK, best_time=best_time)
    monkeypatch.setattr(waiting, "utcnow", lambda: moment.astimezone(UTC))
    thanks = client.get(response.headers["Location"])
    html = thanks.get_data(as_text=True).replace("&#39;", "'")
    assert thanks.status_code == 200
    assert thanks.headers["Cache-Control"] == "no-store"
    assert expected in html
    assert "(•••) •••-0143" in html and "212-555-0143" not in html  # masked, typo-checkable


def test_consent_box_is_rendered_unticked(client):
    html = client.get("/callback").get_data(as_text=True)
    tag = re.search(r'<input[^>]*id="consent_calls"[^>]*>', html).group(0)
    assert 'type="checkbox"' in tag and "checked" not in tag
    assert CALLBACK_CONSENT.text in html
    fallback = re.search(r'<input[^>]*id="email_fallback"[^>]*>', html).group(0)
    assert "checked" not in fallback


@pytest.mark.parametrize("value", [None, "", "false"])
def test_consent_box_is_required(client, db_session, value):
    response = submit(client, "/callback", GOOD_CALLBACK, consent_calls=value)
    assert response.status_code == 400
    assert field_errors(response) == ["Please tick the box so we are allowed to call you."]
    assert 'href="#consent_calls"' in response.get_data(as_text=True)
    for model in (CallbackRequest, Contact, ConsentRecord, OutboxMessage):
        assert _count(db_session, model) == 0


ZIP_UNKNOWN = "We could not find that ZIP code. Please check it."
ZIP_MALFORMED = "Please enter a 5-digit ZIP code, like 10001."
CHOOSE = "Please choose one of the options."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "Please enter your first name."),
        ("first_name", None, "Please enter your first name."),
        ("first_name", "M@ria!", "Please use letters, spaces, hyphens and apostrophes only."),
        ("phone", "", "Please enter the phone number we should call."),
        ("phone", "12345", "Please enter a US phone number with area code, like 212-555-0123."),
        (
            "phone",
            "+44 20 7946 0958",
            "Please enter a US phone number with area code, like 212-555-0123.",
        ),
        ("email", "maria@", "Please enter an email address like name@example.com."),
        ("email", "not an email", "Please enter an email address like name@example.com."),
        ("zip", "", "Please enter your ZIP code."),
        ("zip", None, "Please enter your ZIP code."),
        ("zip", "00000", ZIP_UNKNOWN),
        ("zip", "1234", ZIP_MALFORMED),
        ("zip", "abcde", ZIP_MALFORMED),
        ("relationship", None, "Please tell us who the patient is."),
        ("relationship", "neighbour", CHOOSE),
        ("best_time", "midnight", CHOOSE),
        ("best_time", None, "Please choose a time."),
        ("language", "xx", CHOOSE),
        ("language", None, "Please choose a language."),
        ("diagnosis_type", "lung", CHOOSE),
        ("stage", "5", CHOOSE),
        ("veteran", "maybe", CHOOSE),
    ],
)
def test_each_field_is_validated_with_a_plain_message(client, db_session, field, value, message):
    response = submit(client, "/callback", GOOD_CALLBACK, **{field: value})
    assert response.status_code == 400
    assert field_errors(response) == [message]
    html = response.get_data(as_text=True)
    assert f'<p class="field-error" id="{field}-error">' in html
    assert f'<li><a href="#{field}">{message}</a></li>' in html.replace("&#39;", "'")
    assert _count(db_session, CallbackRequest) == 0


def test_zip_plus_four_is_accepted_and_stored_as_five_digits(client, db_session):
    assert submit(client, "/callback", GOOD_CALLBACK, zip=" 10001-1234 ").status_code == 303
    assert db_session.scalars(select(CallbackRequest)).one().case.zip == "10001"


def test_optional_fields_may_be_left_empty(client, db_session):
    blanks = dict.fromkeys(("last_name", "email", "diagnosis_type", "stage", "veteran"), "")
    response = submit(client, "/callback", GOOD_CALLBACK, email_fallback=None, **blanks)
    assert response.status_code == 303
    request = db_session.scalars(select(CallbackRequest)).one()
    assert request.contact.email is None and request.contact.last_name is None
    assert (request.case.diagnosis_type, request.case.stage, request.case.veteran) == (
        None,
        None,
        None,
    )


def test_error_summary_links_every_error_to_its_field_and_keeps_what_was_typed(client, db_session):
    response = submit(
        client,
        "/callback",
        GOOD_CALLBACK,
        first_name="",
        phone="12345",
        zip="00000",
        best_time="midnight",
        consent_calls=None,
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    start = html.index('id="error-summary"')
    summary = html[start : html.index("</div>", start)]
    targets = re.findall(r'<a href="#([\w-]+)">', summary)
    assert targets == ["first_name", "phone", "zip", "best_time", "consent_calls"]
    for target in targets:
        assert f'id="{target}"' in html.replace(summary, "")
    assert "Please check these 5 answers" in summary
    assert "<title>Error: " in html
    for kept in ("Lopez", "12345", "00000", "maria.lopez@example.com"):
        assert f'value="{kept}"' in html
    assert re.search(r'<option selected value="pleural">|<option value="pleural" selected>', html)
    assert re.search(r'<input checked id="relationship-1"[^>]*value="spouse_partner">', html)
    assert re.search(r'<input [^>]*checked id="email_fallback"', html)
    assert 'aria-invalid="true"' in html
    assert _count(db_session, CallbackRequest) == 0
