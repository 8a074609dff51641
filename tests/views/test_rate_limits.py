"""Public form POSTs are rate limited per address, with a friendly page, not a stack trace."""

from __future__ import annotations

import pytest

from intake.extensions import limiter
from intake.views.match import MATCH_RATE_LIMIT
from intake.views.public import FORM_RATE_LIMIT
from tests.conftest import form_tokens


@pytest.fixture
def limited_app(app, db_session):
    """Like ``limited_client``, with settings of the test's own (e.g. trusted proxies)."""
    from intake import create_app

    built: list = []

    def make(**settings):
        built.append(create_app({"TESTING": True, "RATELIMIT_ENABLED": True,
                                 "RATELIMIT_STORAGE_URI": "memory://", **settings}))  # fmt: skip
        return built[-1]

    try:
        yield make
    finally:
        limiter.init_app(app)
        app.extensions["celery"].set_default()
        assert not limiter.enabled


@pytest.fixture
def limited_client(app, db_session):
    """An app with limits on (the suite runs with them off); the shared limiter is restored after.

    Flask-Limiter keeps its switch and storage on the one extension object,
    so building this app turns limits on for every app until ``init_app``
    runs again for the suite's app.
    """
    from intake import create_app

    limited = create_app(
        {"TESTING": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}
    )
    try:
        yield limited.test_client()
    finally:
        limiter.init_app(app)
        app.extensions["celery"].set_default()
        assert not limiter.enabled


def test_the_31st_post_in_an_hour_gets_a_friendly_429(limited_client):
    tokens = form_tokens(limited_client, "/callback")
    per_hour = int(FORM_RATE_LIMIT.split()[0])
    statuses = [limited_client.post("/callback", data=tokens).status_code for _ in range(per_hour)]
    assert set(statuses) == {400}  # counted, and answered normally (an incomplete form)
    blocked = limited_client.post("/callback", data=tokens)
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert "Too many requests" in page and "Traceback" not in page
    assert "Please wait a few minutes and try again" in page
    assert "Information only, not medical advice" in page  # our page, with our help line
    assert limited_client.get("/callback").status_code == 200  # reading is never limited
    assert limited_client.post("/guide", data=tokens).status_code == 400  # its own count


def test_limits_are_off_again_for_the_rest_of_the_suite(client):
    tokens = form_tokens(client, "/callback")
    per_hour = int(FORM_RATE_LIMIT.split()[0])
    statuses = {client.post("/callback", data=tokens).status_code for _ in range(per_hour + 1)}
    assert statuses == {400}


def test_the_match_page_is_limited_per_address(limited_app):
    client = limited_app().test_client()
    per_minute = int(MATCH_RATE_LIMIT.split()[0])
    query = "/match?zip=10001&cancer_type=pleural"
    assert {client.get(query).status_code for _ in range(per_minute)} == {200}
    assert client.get(query).status_code == 429


def test_without_trusted_proxies_a_forwarded_header_cannot_dodge_the_limit(limited_app):
    """Gunicorn facing the network: X-Forwarded-For is the sender's own claim, ignored."""
    client = limited_app().test_client()
    tokens = form_tokens(client, "/callback")
    per_hour = int(FORM_RATE_LIMIT.split()[0])
    for n in range(per_hour):
        client.post("/callback", data=tokens, headers={"X-Forwarded-For": f"198.51.100.{n}"})
    blocked = client.post("/callback", data=tokens, headers={"X-Forwarded-For": "203.0.113.9"})
    assert blocked.status_code == 429


def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(limited_app):
    """One proxy hop: every visitor arrives from the proxy's address but is counted as themself."""
    app = limited_app(TRUSTED_PROXY_HOPS=1)
    client = app.test_client()
    tokens = form_tokens(client, "/callback")
    per_hour = int(FORM_RATE_LIMIT.split()[0])
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    first = {"X-Forwarded-For": "198.51.100.7"}
    for _ in range(per_hour):
        client.post("/callback", data=tokens, headers=first, environ_base=proxy)
    assert (
        client.post("/callback", data=tokens, headers=first, environ_base=proxy).status_code == 429
    )
    other = {"X-Forwarded-For": "198.51.100.8"}
    assert (
        client.post("/callback", data=tokens, headers=other, environ_base=proxy).status_code == 400
    )


def _sign_in(client, email: str, password: str, address: str):
    from tests.views.conftest import csrf_token

    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})  # fmt: skip


def test_wrong_passwords_are_throttled_per_account_and_address_not_by_a_lock(
    limited_app, db_session
):
    from intake.views.auth import FAILURES_PER_ACCOUNT_AND_ADDRESS
    from tests.views.conftest import TEST_PASSWORD, make_user

    staff = make_user(db_session, "advocate")
    app = limited_app()
    guesser, owner = app.test_client(), app.test_client()
    failures = int(FAILURES_PER_ACCOUNT_AND_ADDRESS.split()[0])
    for _ in range(failures):
        assert (
            _sign_in(guesser, staff.email, "wrong password here", "198.51.100.1").status_code == 400
        )
    # the guesser's address is stopped for this account, even with the right password...
    assert _sign_in(guesser, staff.email, TEST_PASSWORD, "198.51.100.1").status_code == 429
    # ...while the real person, from their own address, signs in
    assert _sign_in(owner, staff.email, TEST_PASSWORD, "203.0.113.5").status_code == 303


def test_the_throttle_answers_alike_for_an_account_that_does_not_exist(limited_app, db_session):
    from intake.views.auth import FAILURES_PER_ACCOUNT_AND_ADDRESS
    from tests.views.conftest import make_user

    staff = make_user(db_session, "advocate")
    app = limited_app()
    failures = int(FAILURES_PER_ACCOUNT_AND_ADDRESS.split()[0])
    answers = []
    for email in (staff.email, "nobody-here@staff.example.org"):
        client = app.test_client()
        statuses = [_sign_in(client, email, "wrong password here", "198.51.100.2").status_code
                    for _ in range(failures + 1)]  # fmt: skip
        refused = _sign_in(client, email, "wrong password here", "198.51.100.2")
        answers.append((statuses, refused.status_code, refused.get_data(as_text=True)))
    assert answers[0] == answers[1]
    assert answers[0][0][-1] == 429
