"""CSRF protection on the public forms: refused, nothing stored, the form comes back intact."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from intake.models import CallbackRequest, ConsentRecord, Contact, GuideRequest, OutboxMessage
from intake.views.errors import CSRF_MESSAGE
from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE, form_tokens, process_received

FORMS = {"/guide": GOOD_GUIDE, "/callback": GOOD_CALLBACK}
TABLES = (Contact, GuideRequest, CallbackRequest, ConsentRecord, OutboxMessage)


def _nothing_stored(db_session) -> None:
    for model in TABLES:
        assert db_session.scalar(select(func.count()).select_from(model)) == 0, model


def _assert_refused_and_reshown(response, path) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert CSRF_MESSAGE in html.replace("&#39;", "'")
    assert 'id="error-summary"' in html and 'role="alert"' in html
    assert f'<form method="post" action="{path}"' in html
    first = FORMS[path]["first_name"]
    assert f'value="{first}"' in html
    assert 'name="csrf_token" type="hidden" value="' in html  # a fresh token to try again


@pytest.mark.parametrize("path", FORMS)
def test_post_without_a_token_is_refused_and_keeps_the_typed_values(client, db_session, path):
    tokens = form_tokens(client, path)
    response = client.post(path, data={**FORMS[path], "submission_key": tokens["submission_key"]})
    _assert_refused_and_reshown(response, path)
    html = response.get_data(as_text=True)
    assert f'value="{tokens["submission_key"]}"' in html  # the retry still counts once
    if path == "/callback":
        assert 'value="(212) 555-0143"' in html and 'value="10001"' in html
    else:
        assert 'value="Robert.ONeil@Example.com"' in html
    _nothing_stored(db_session)


@pytest.mark.parametrize("path", FORMS)
def test_a_wrong_token_is_refused(client, db_session, path):
    tokens = form_tokens(client, path)
    forged = tokens["csrf_token"][:-4] + (
        "AAAA" if not tokens["csrf_token"].endswith("AAAA") else "BBBB"
    )
    for bad in (forged, "not-a-token", ""):
        response = client.post(path, data={**FORMS[path], **tokens, "csrf_token": bad})
        _assert_refused_and_reshown(response, path)
    _nothing_stored(db_session)


@pytest.mark.parametrize("path", FORMS)
def test_a_token_from_another_session_is_refused(app, client, db_session, path):
    # each client's GET in its own app context: a request reuses the pushed context of the
    # db_session fixture, where Flask-WTF would hand every client the token cached in flask.g
    with app.app_context():
        stolen = form_tokens(app.test_client(), path)
    with app.app_context():
        own = form_tokens(client, path)
    assert stolen["csrf_token"] != own["csrf_token"]
    response = client.post(path, data={**FORMS[path], **stolen})
    _assert_refused_and_reshown(response, path)
    response = app.test_client().post(path, data={**FORMS[path], **stolen})  # no session at all
    assert response.status_code == 400
    _nothing_stored(db_session)
    assert client.post(path, data={**FORMS[path], **own}).status_code == 303  # own token works


@pytest.mark.parametrize("path", FORMS)
def test_the_right_token_is_accepted(client, db_session, path):
    response = client.post(path, data={**FORMS[path], **form_tokens(client, path)})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{path}/thanks?ref=")
    assert process_received(client.application) == []
    model = GuideRequest if path == "/guide" else CallbackRequest
    assert db_session.scalar(select(func.count()).select_from(model)) == 1
