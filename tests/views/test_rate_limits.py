"""Public form POSTs are rate limited per address, with a friendly page, not a stack trace."""

from __future__ import annotations

import pytest

from intake.extensions import limiter
from intake.views.public import FORM_RATE_LIMIT
from tests.conftest import form_tokens


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
