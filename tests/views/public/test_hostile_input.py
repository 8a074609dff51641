"""Hostile and odd input on every public form field: never a 500, never stored mangled."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import func, select, text

from intake.models import CallbackRequest, CaseContact, Contact, GuideRequest
from intake.views.errors import TOO_LARGE_MESSAGE
from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE, field_errors, form_tokens, submit

SCRIPT = "<script>alert(1)</script>"
SQL_DROP = "'; DROP TABLE contacts; --"
SQL_OR = '" OR 1=1 --'
HUGE = "x" * 10_000
NAMES = ["Zoë Ñúñez-Łukasz", "李小龙", "Ólafur", "अनुज", "Zoe\u0308", "D’Angelo"]
PAYLOADS = [
    SCRIPT,
    SQL_DROP,
    SQL_OR,
    HUGE,
    "Ann\x00Lee",
    "line1\r\nBcc: evil@example.com",
    "Ann\u202eeL",  # right-to-left override
    *NAMES,
]

GUIDE_BASE = {
    **GOOD_GUIDE,
    "deliver_mail": "y",
    "address_line1": "12 Elm Street",
    "address_line2": "Apt 4",
    "city": "Springfield",
    "state": "IL",
    "postal_zip": "62701",
}
TEXT_FIELDS = {"first_name", "last_name", "address_line1", "address_line2", "city"}
NAME_FIELDS = {"first_name", "last_name"}
FREE_TEXT = {"address_line1", "address_line2", "city"}


def _stored_guide(db_session):
    request = db_session.scalars(select(GuideRequest)).one()
    address = request.postal_address
    return request, {
        "address_line1": address["line1"],
        "address_line2": address["line2"],
        "city": address["city"],
        "state": address["state"],
        "postal_zip": address["zip"],
        "topics": request.topics,
        "zip": request.case.zip,
        "cell_type": request.case.cell_type,
        "language": request.language,
    }


def _stored_callback(db_session):
    request = db_session.scalars(select(CallbackRequest)).one()
    return request, {
        "phone": request.contact.phone,
        "zip": request.case.zip,
        "best_time": request.best_time,
        "language": request.language,
    }


def stored(db_session, path):
    """Every field's value as the product stored it, decrypted through the models."""
    request, values = (_stored_guide if path == "/guide" else _stored_callback)(db_session)
    contact, case = request.contact, request.case
    link = db_session.scalars(select(CaseContact)).one()
    values.update(
        first_name=contact.first_name,
        last_name=contact.last_name,
        email=contact.email,
        relationship=link.relation,
        diagnosis_type=case.diagnosis_type,
        stage=case.stage,
        veteran=case.veteran,
    )
    return values


FORMS = {"/guide": GUIDE_BASE, "/callback": GOOD_CALLBACK}
FIELDS = [
    *(("/guide", f) for f in ("first_name", "last_name", "email", "relationship")),
    *(("/guide", f) for f in ("diagnosis_type", "stage", "veteran", "topics", "address_line1")),
    *(("/guide", f) for f in ("address_line2", "city", "state", "postal_zip")),
    *(("/guide", f) for f in ("cell_type", "zip", "language")),
    *(("/callback", f) for f in ("first_name", "last_name", "phone", "email", "relationship")),
    *(("/callback", f) for f in ("diagnosis_type", "stage", "veteran", "zip", "best_time")),
    ("/callback", "language"),
    ("/callback", "diagnosed"),
]


# what one accepted form adds: its contact, and a consent record for each permission given
# (the guide: emailing the guide; the callback: calls and the email fallback)
ADDED = {"/guide": (1, 1), "/callback": (1, 2)}


def _rows(db_session) -> tuple[int, int]:
    """How many contacts and consent records there are (the tables are still there)."""
    contacts = db_session.execute(text("SELECT count(*) FROM contacts")).scalar_one()
    consents = db_session.execute(text("SELECT count(*) FROM consent_records")).scalar_one()
    return contacts, consents


def _added(db_session, before: tuple[int, int]) -> tuple[int, int]:
    after = _rows(db_session)
    return after[0] - before[0], after[1] - before[1]


def _assert_safe(response, db_session, path, field, value, before):
    html = response.get_data(as_text=True)
    assert response.status_code in (303, 400), html[:500]
    assert SCRIPT not in html and "Traceback" not in html
    if response.status_code == 303:
        expected = [value] if field == "topics" else value.strip()
        assert stored(db_session, path)[field] == expected
    else:
        assert f'<p class="field-error" id="{field}-error">' in html
    # an accepted form adds exactly its rows; a refused one adds none
    assert _added(db_session, before) == (ADDED[path] if response.status_code == 303 else (0, 0))


@pytest.mark.parametrize("value", PAYLOADS, ids=range(len(PAYLOADS)))
@pytest.mark.parametrize(("path", "field"), FIELDS, ids=[f"{p[1:]}-{f}" for p, f in FIELDS])
def test_hostile_value_is_stored_as_text_or_refused_with_a_message(
    client, db_session, path, field, value
):
    before = _rows(db_session)
    response = submit(client, path, FORMS[path], **{field: value})
    _assert_safe(response, db_session, path, field, value, before)
    if field in TEXT_FIELDS and value in NAMES:
        assert response.status_code == 303, field_errors(response)
    if field in FREE_TEXT and value in (SCRIPT, SQL_DROP, SQL_OR):
        assert response.status_code == 303, field_errors(response)
    if response.status_code == 303:
        thanks = client.get(response.headers["Location"])
        assert thanks.status_code == 200 and SCRIPT not in thanks.get_data(as_text=True)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("path", FORMS)
def test_non_ascii_names_are_accepted_and_round_trip_exactly(client, db_session, path, name):
    response = submit(client, path, FORMS[path], first_name=name, last_name=f"{name}-{name}")
    assert response.status_code == 303, field_errors(response)
    contact = db_session.scalars(select(Contact)).one()
    assert (contact.first_name, contact.last_name) == (name, f"{name}-{name}")


@pytest.mark.parametrize(("path", "field"), [(p, f) for p, f in FIELDS if f in TEXT_FIELDS])
def test_a_ten_thousand_character_value_gets_a_length_error(client, db_session, path, field):
    response = submit(client, path, FORMS[path], **{field: HUGE})
    assert response.status_code == 400
    assert any("cannot be longer than" in message for message in field_errors(response))
    assert f'id="{field}-error"' in response.get_data(as_text=True)


def test_a_rejected_script_is_shown_back_escaped(client):
    response = submit(client, "/callback", GOOD_CALLBACK, first_name=SCRIPT)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html and SCRIPT not in html


LISTS = [
    ("/callback", "zip", ["10001", "90210"], "10001"),
    ("/callback", "phone", ["(212) 555-0143", "(310) 555-0100"], "+12125550143"),
    ("/callback", "first_name", ["Maria", "Evil"], "Maria"),
    ("/callback", "best_time", ["morning", "evening"], "morning"),
    ("/callback", "relationship", ["self", "child"], "self"),
    ("/guide", "email", ["a@example.com", "b@example.com"], "a@example.com"),
    ("/guide", "state", ["IL", "NY"], "IL"),
    ("/guide", "stage", ["2", "4"], "2"),
    ("/guide", "city", [SCRIPT, "Springfield"], SCRIPT),
]


@pytest.mark.parametrize(("path", "field", "values", "first"), LISTS)
def test_two_values_for_a_single_field_never_break_the_form(
    client, db_session, path, field, values, first
):
    before = _rows(db_session)
    response = submit(client, path, FORMS[path], **{field: values})
    _assert_safe(response, db_session, path, field, first, before)


@pytest.mark.parametrize(("path", "field"), [("/guide", "first_name"), ("/callback", "zip")])
def test_a_file_upload_in_a_text_field_is_ignored_not_a_crash(client, db_session, path, field):
    payload = {**form_tokens(client, path), **FORMS[path]}
    payload[field] = (io.BytesIO(b"<script>alert(1)</script>"), "evil.html", "text/html")
    response = client.post(path, data=payload, content_type="multipart/form-data")
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Contact)) == 0


@pytest.mark.parametrize("path", FORMS)
def test_a_json_body_with_wrong_types_is_refused_not_a_crash(client, db_session, path):
    tokens = form_tokens(client, path)
    body = {**FORMS[path], **tokens, "first_name": 123, "zip": ["10001"], "topics": {"a": 1}}
    response = client.post(path, json=body, headers={"X-CSRFToken": tokens["csrf_token"]})
    assert response.status_code == 400
    assert "Please enter your first name." in field_errors(response)
    assert db_session.scalar(select(func.count()).select_from(Contact)) == 0


def test_a_hostile_submission_key_is_replaced_by_a_fresh_one(client, db_session):
    response = submit(client, "/callback", GOOD_CALLBACK, submission_key=SQL_DROP)
    assert response.status_code == 303
    key = db_session.scalars(select(CallbackRequest.submission_key)).one()
    assert str(uuid.UUID(key)) == key


@pytest.mark.parametrize("path", FORMS)
def test_a_body_over_the_size_limit_gets_a_friendly_413(client, db_session, path):
    before = _rows(db_session)
    body = b"first_name=" + b"x" * (2 * 1024 * 1024 + 1)
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert TOO_LARGE_MESSAGE in html.replace("&#39;", "'")
    assert "Information only, not medical advice" in html and "Traceback" not in html
    assert _added(db_session, before) == (0, 0)


@pytest.mark.parametrize(("path", "good"), [("/guide", GOOD_GUIDE), ("/callback", GOOD_CALLBACK)])
def test_a_filled_trap_field_is_refused_plainly_and_nothing_is_kept(client, db_session, path, good):
    page = client.get(path).get_data(as_text=True)
    assert 'name="leave_empty"' in page and '<div hidden aria-hidden="true">' in page
    response = submit(client, path, {**good, "leave_empty": "http://spam.example"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400  # no confirmation page for a request we did not keep
    assert "looked as if a program filled it in" in body and "call us" in body
    assert db_session.scalar(select(func.count()).select_from(Contact)) == 0
    assert submit(client, path, {**good, "leave_empty": "  "}).status_code == 303  # blank is fine
