"""/unsubscribe/<token>: a confirm page, the RFC 8058 one-click POST, and nothing else stopped."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.models import ConsentRecord, EmailDelivery
from intake.services.email import unsubscribe
from tests.conftest import GOOD_CALLBACK, submit
from tests.views.conftest import csrf_token


@pytest.fixture
def both_forms(client, db_session):
    """Maria asked for a call and, with the same email, for the guide."""
    submit(client, "/callback", GOOD_CALLBACK)
    submit(client, "/guide", {
        "first_name": "Maria", "email": "maria.lopez@example.com", "relationship": "self",
        "topics": ["treatment"], "deliver_email": "y",
    })  # fmt: skip
    delivery = db_session.scalars(select(EmailDelivery)).one()
    with client.application.test_request_context():
        token = unsubscribe.token_for(delivery.contact_id, "maria.lopez@example.com")
    return token, delivery


def _consents(db_session) -> dict[str, bool]:
    db_session.expire_all()
    rows = db_session.scalars(select(ConsentRecord)).all()
    return {row.purpose: row.revoked_at is None for row in rows}


def test_the_link_shows_what_it_will_do_and_changes_nothing_yet(client, db_session, both_forms):
    token, _ = both_forms
    page = client.get(f"/unsubscribe/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Stop our emails?" in html
    assert "does not cancel a call you asked for" in html
    assert all(_consents(db_session).values())


def test_the_button_unsubscribes_and_keeps_the_call(client, db_session, both_forms):
    token, delivery = both_forms
    response = client.post(
        f"/unsubscribe/{token}", data={"csrf_token": csrf_token(client, f"/unsubscribe/{token}")}
    )
    assert response.status_code == 200 and "You are unsubscribed" in response.get_data(as_text=True)
    consents = _consents(db_session)
    assert consents == {"advocate_calls": True, "followup_emails": False, "guide_email": False}
    db_session.refresh(delivery)
    assert delivery.status == "suppressed"


def test_one_click_works_without_cookie_or_csrf_token(app, db_session, both_forms):
    token, _ = both_forms
    mail_client = app.test_client(use_cookies=False)
    response = mail_client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert _consents(db_session)["guide_email"] is False
    assert _consents(db_session)["advocate_calls"] is True


def test_any_other_post_needs_the_csrf_token(app, db_session, both_forms):
    token, _ = both_forms
    bare = app.test_client(use_cookies=False)
    assert bare.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "Yes"}).status_code == 400
    assert bare.post(f"/unsubscribe/{token}").status_code == 400
    assert _consents(db_session)["guide_email"] is True


@pytest.mark.parametrize(
    "token",
    ["nonsense", "WzEsImFiYyJd.forged", "<script>alert(1)</script>", "x" * 5000, "%00", "..%2f"],
)
def test_a_bad_token_is_a_friendly_404(client, db_session, token):
    response = client.get(f"/unsubscribe/{token}")
    assert response.status_code == 404
    assert "<script>alert(1)" not in response.get_data(as_text=True)
    one_click = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 404
