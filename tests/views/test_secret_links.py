"""Secret links (set your password, confirm a deletion, unsubscribe): opening one changes nothing.

A mail scanner opens every link in an email, often more than once, with
GET and HEAD and no cookie; only the person's POST may use the link.  The
link's token stays out of our logs and off the Referer of the page's own
requests.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from intake.logsafe import REDACTED, redact_links
from intake.models import ConsentRecord, Contact, DeletionRequest, EmailDelivery
from intake.services.email import unsubscribe
from intake.services.privacy import deletion
from intake.services.staff import staff_accounts
from tests.conftest import GOOD_CALLBACK, submit
from tests.views.conftest import csrf_token, make_user, post_form

NEW_PASSWORD = "a fresh long passphrase"  # noqa: S105 (a test value)


def _scanner_opens(app, path: str, times: int = 3) -> None:
    """What a link checker does: GET and HEAD, repeatedly, no cookie, never a form."""
    scanner = app.test_client(use_cookies=False)
    for _ in range(times):
        assert scanner.get(path).status_code == 200, path
        assert scanner.head(path).status_code == 200, path


def test_a_scanned_set_password_link_still_works_once_for_its_person(app, db_session):
    user = make_user(db_session, "advocate")
    path = f"/staff/set-password/{staff_accounts.issue_link(user)}"
    db_session.flush()
    link_hash = user.password_link_hash

    _scanner_opens(app, path)
    db_session.refresh(user)
    assert user.password_link_hash == link_hash  # GET spent nothing

    person = app.test_client()
    done = post_form(person, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303
    db_session.refresh(user)
    assert user.password_link_hash is None  # the POST used it
    assert app.test_client().get(path).status_code == 404


def _deletion_link(client, db_session) -> tuple[str, Contact]:
    submit(client, "/callback", GOOD_CALLBACK)
    contact = db_session.scalars(select(Contact)).one()
    client.post("/privacy/delete", data={
        "csrf_token": csrf_token(client, "/privacy/delete"), "email": "maria.lopez@example.com",
    })  # fmt: skip
    row = db_session.scalars(select(DeletionRequest)).one()
    deletion.process(db_session, row.id)
    db_session.flush()
    with client.application.test_request_context():
        return f"/privacy/delete/{deletion.token_for(row.id, contact.id)}", contact


def test_a_scanned_deletion_link_erases_nothing_until_its_button(app, client, db_session):
    path, contact = _deletion_link(client, db_session)

    _scanner_opens(app, path)
    db_session.expire_all()
    assert db_session.get(Contact, contact.id).erased_at is None
    assert db_session.scalars(select(DeletionRequest.status)).one() != "erased"

    person = app.test_client()
    done = post_form(person, path)
    assert done.status_code == 200 and "Your information is deleted" in done.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Contact, contact.id).erased_at is not None


def _unsubscribe_link(client, db_session) -> str:
    submit(client, "/guide", {
        "first_name": "Maria", "email": "maria.lopez@example.com", "relationship": "self",
        "topics": ["treatment"], "deliver_email": "y",
    })  # fmt: skip
    delivery = db_session.scalars(select(EmailDelivery)).one()
    with client.application.test_request_context():
        token = unsubscribe.token_for(delivery.contact_id, "maria.lopez@example.com")
    return f"/unsubscribe/{token}"


def _guide_email_allowed(db_session) -> bool:
    db_session.expire_all()
    row = db_session.scalars(select(ConsentRecord).where(ConsentRecord.purpose == "guide_email"))
    return row.one().revoked_at is None


def test_a_scanned_unsubscribe_link_unsubscribes_only_on_its_one_click_post(
    app, client, db_session
):
    path = _unsubscribe_link(client, db_session)

    _scanner_opens(app, path)
    assert _guide_email_allowed(db_session)

    mail_client = app.test_client(use_cookies=False)  # RFC 8058: no cookie, no CSRF token
    done = mail_client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert not _guide_email_allowed(db_session)


def test_a_secret_links_page_sends_no_referer_beyond_its_origin(app, client, db_session):
    user = make_user(db_session, "advocate")
    path = f"/staff/set-password/{staff_accounts.issue_link(user)}"
    db_session.flush()
    for link in (path, "/privacy/delete/forged", "/unsubscribe/forged"):
        # its stylesheet's request, and the next page after its POST, would carry the token
        assert client.get(link).headers["Referrer-Policy"] == "strict-origin", link
    assert client.get("/privacy/delete").headers["Referrer-Policy"] == "same-origin"


def test_every_route_that_takes_a_token_is_redacted_in_logs(app):
    routes = [rule.rule for rule in app.url_map.iter_rules() if "<token>" in rule.rule]
    assert len(routes) == 3  # the three secret links (a new one must join SECRET_LINK_PREFIXES)
    for route in routes:
        line = f'"GET {route.replace("<token>", "SeCrEt.t0ken-_x")}?a=b HTTP/1.1"'
        assert redact_links(line) == f'"GET {route.replace("<token>", REDACTED)}?a=b HTTP/1.1"'


def test_an_error_on_a_secret_link_is_logged_without_its_token(app, db_session, monkeypatch,
                                                               caplog):  # fmt: skip
    def broken(session, token, now=None):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(staff_accounts, "user_for_link", broken)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/staff/set-password/SeCrEtT0ken")
    assert response.status_code == 500
    assert "unhandled error on GET /staff/set-password/…: RuntimeError" in caplog.text
    assert "SeCrEtT0ken" not in caplog.text
