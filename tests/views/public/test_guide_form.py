"""The free guide form: happy path, storage, consent and outbox, validation."""

from __future__ import annotations

from sqlalchemy import func, select, text

from intake.models import (
    ConsentRecord,
    Contact,
    EmailDelivery,
    FulfilmentItem,
    GuideRequest,
    OutboxMessage,
)
from tests.conftest import GOOD_GUIDE, field_errors, submit


def test_guide_page_renders_with_every_field_labelled(client):
    page = client.get("/guide")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for field in ("first_name", "last_name", "email", "address_line1", "city", "postal_zip"):
        assert f'<label for="{field}">' in html
    assert "Information only, not medical advice" in html
    assert 'id="followup_emails" name="followup_emails" type="checkbox" value="y">' in html


def test_guide_request_is_stored_with_consent_and_a_delivery_job(client, db_session):
    response = submit(client, "/guide", GOOD_GUIDE)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/guide/thanks?ref=")

    request = db_session.scalars(select(GuideRequest)).one()
    assert request.topics == ["treatment", "financial"]
    assert request.deliver_email and not request.deliver_mail
    assert request.status == "processed" and request.language == "en"
    contact = db_session.get(Contact, request.contact_id)
    assert contact.email == "robert.oneil@example.com"
    assert contact.first_name == "Robert" and contact.last_name == "O'Neil"
    assert request.case.diagnosis_type == "peritoneal" and request.case.stage == "2"
    assert request.case.veteran is False

    consent = db_session.scalars(select(ConsentRecord)).one()
    assert consent.purpose == "guide_email" and consent.covers == "robert.oneil@example.com"
    assert consent.text_version == "guide-email-2026-11-01" and consent.ip_address == "127.0.0.1"
    delivery = db_session.scalars(select(EmailDelivery)).one()
    assert (delivery.request_id, delivery.purpose, delivery.status) == (
        request.id,
        "guide",
        "pending",
    )
    job = db_session.scalars(select(OutboxMessage)).one()
    assert (job.task_name, job.args, job.status) == ("emails.send", [delivery.id], "pending")

    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200
    assert "your guide is on its way" in thanks.get_data(as_text=True)


def test_personal_data_is_not_stored_in_plain_text(client, db_session):
    submit(
        client,
        "/guide",
        GOOD_GUIDE,
        deliver_mail="y",
        address_line1="12 Elm Street",
        city="Springfield",
        state="IL",
        postal_zip="62701",
    )
    raw = db_session.execute(text("SELECT * FROM contacts")).mappings().one()
    dump = repr(dict(raw)) + repr(db_session.execute(text("SELECT * FROM guide_requests")).all())
    dump += repr(db_session.execute(text("SELECT * FROM consent_records")).all())
    for secret in ("Robert", "O'Neil", "robert.oneil", "12 Elm Street", "Springfield", "127.0.0.1"):
        assert secret.lower() not in dump.lower()
    request = db_session.scalars(select(GuideRequest)).one()
    assert request.postal_address == {
        "line1": "12 Elm Street",
        "line2": "",
        "city": "Springfield",
        "state": "IL",
        "zip": "62701",
    }
    # a mailing address is not where the patient is: only the patient's ZIP field says that
    assert request.case.zip is None
    printed = db_session.scalars(select(FulfilmentItem)).one()
    assert (printed.guide_request_id, printed.status) == (request.id, "queued")


def test_mail_delivery_requires_a_full_address_and_keeps_what_was_typed(client, db_session):
    response = submit(client, "/guide", GOOD_GUIDE, deliver_mail="y", city="Springfield")
    assert response.status_code == 400
    errors = field_errors(response)
    assert "Please enter the street address for the printed copy." in errors
    assert "Please choose the state." in errors and "Please enter the ZIP code." in errors
    html = response.get_data(as_text=True)
    assert 'value="Springfield"' in html and 'value="Robert"' in html
    assert 'id="error-summary"' in html and 'href="#address_line1"' in html
    assert db_session.scalar(select(func.count()).select_from(GuideRequest)) == 0


def test_address_is_not_required_without_mail(client):
    assert submit(client, "/guide", GOOD_GUIDE).status_code == 303


def test_email_delivery_needs_an_email(client):
    response = submit(client, "/guide", GOOD_GUIDE, email="")
    assert field_errors(response) == ["Please enter your email address so we can send the PDF."]


def test_mail_only_needs_no_email(client, db_session):
    response = submit(
        client,
        "/guide",
        GOOD_GUIDE,
        email="",
        deliver_email=None,
        deliver_mail="y",
        address_line1="1 Main St",
        city="Boston",
        state="MA",
        postal_zip="02108",
    )
    assert response.status_code == 303
    assert db_session.scalar(select(func.count()).select_from(ConsentRecord)) == 0


def test_some_delivery_and_some_topic_are_required(client):
    response = submit(client, "/guide", GOOD_GUIDE, deliver_email=None, topics=None)
    assert set(field_errors(response)) == {
        "Please choose at least one topic.",
        "Please choose email, mail, or both.",
    }


def test_followup_email_consent_is_opt_in(client, db_session):
    submit(client, "/guide", GOOD_GUIDE, followup_emails="y")
    purposes = set(db_session.scalars(select(ConsentRecord.purpose)))
    assert purposes == {"guide_email", "followup_emails"}


def test_bad_values_get_plain_messages_next_to_their_fields(client):
    response = submit(
        client,
        "/guide",
        GOOD_GUIDE,
        first_name="",
        email="not-an-email",
        relationship="",
        diagnosis_type="lung",
        stage="9",
        veteran="maybe",
        topics=["treatment", "astrology"],
        deliver_mail="y",
        address_line1="1 Main",
        city="Boston",
        state="ZZ",
        postal_zip="00000",
    )
    assert response.status_code == 400
    assert field_errors(response) == [
        "Please enter your first name.",
        "Please enter an email address like name@example.com.",
        "Please tell us who the guide is for.",
        "Please choose one of the options.",
        "Please choose one of the options.",
        "Please choose one of the options.",
        "Please choose from the topics listed.",
        "Please choose one of the options.",
        "We could not find that ZIP code. Please check it.",
    ]


def test_the_error_summary_lists_problems_in_page_order(client):
    import re

    response = submit(client, "/guide", GOOD_GUIDE, first_name="", stage="9", topics=None)
    summary = response.get_data(as_text=True).split('id="error-summary"')[1].split("</ul>")[0]
    assert re.findall(r'href="#(\w+)"', summary) == ["first_name", "stage", "topics"]


def test_a_persian_name_with_a_zero_width_non_joiner_is_kept_exactly(client, db_session):
    name = "علی\u200cرضا"  # Alireza, correctly spelled with a ZWNJ
    assert submit(client, "/guide", GOOD_GUIDE, first_name=name).status_code == 303
    assert db_session.scalars(select(Contact)).one().first_name == name
    bidi_override = submit(client, "/guide", GOOD_GUIDE, first_name="evil\u202etxt.exe")
    assert bidi_override.status_code == 400


def test_the_patients_zip_cell_type_and_language_personalise_the_guide(client, db_session):
    submit(client, "/guide", GOOD_GUIDE, zip=" 10001 ", cell_type="sarcomatoid", language="es")
    request = db_session.scalars(select(GuideRequest)).one()
    assert request.language == "es"
    assert (request.case.zip, request.case.state, request.case.cell_type) == (
        "10001", "NY", "sarcomatoid",
    )  # fmt: skip
    assert request.case.timezone == "America/New_York"


def test_an_unknown_patient_zip_is_an_error_at_the_field(client, db_session):
    response = submit(client, "/guide", GOOD_GUIDE, zip="00000")
    assert response.status_code == 400
    assert "We could not find that ZIP code. Please check it." in field_errors(response)


def test_a_mailing_zip_must_be_in_the_chosen_state(client, db_session):
    response = submit(
        client, "/guide", GOOD_GUIDE, deliver_mail="y", address_line1="1 Ocean Drive",
        city="Miami", state="CA", postal_zip="33101",
    )  # fmt: skip
    assert response.status_code == 400
    assert field_errors(response) == [
        "ZIP code 33101 is in FL, not CA. Please check the ZIP code or the state."
    ]
    assert db_session.scalar(select(func.count()).select_from(GuideRequest)) == 0


def test_the_follow_up_box_is_about_email_only_and_stands_on_its_own(client):
    html = client.get("/guide").get_data(as_text=True)
    box = html[html.index('id="followup_emails"') - 600 : html.index('id="followup_emails"') + 600]
    assert "phone" not in box.lower()
    assert html.index("Staying in touch") > html.index("How should we send it?")
    assert html.index("Staying in touch") > html.index("Mailing address for the printed copy")


def test_the_confirmation_says_what_is_true_about_the_email(client, db_session):
    response = submit(client, "/guide", GOOD_GUIDE)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "within a minute or two" in html and "check your spam" in html
    assert "we&#39;ll send it again" in html or "we'll send it again" in html
