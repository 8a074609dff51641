"""Public form POSTs are rate limited per address, with a friendly page, not a stack trace."""

from __future__ import annotations

from intake.views.public import FORM_RATE_LIMIT
from tests.conftest import form_tokens


def test_the_31st_post_in_an_hour_gets_a_friendly_429(app, db_session):
    from intake import create_app

    limited = create_app(
        {"TESTING": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}
    )
    try:
        client = limited.test_client()
        with limited.app_context():
            tokens = form_tokens(client, "/callback")
        per_hour = int(FORM_RATE_LIMIT.split()[0])
        statuses = [client.post("/callback", data=tokens).status_code for _ in range(per_hour)]
        assert set(statuses) == {400}  # counted, and answered normally (an incomplete form)
        blocked = client.post("/callback", data=tokens)
        assert blocked.status_code == 429
        page = blocked.get_data(as_text=True)
        assert "Too many requests" in page and "Traceback" not in page
        assert "Please wait a few minutes and try again" in page
        assert "Information only, not medical advice" in page  # our page, with our help line
        assert client.get("/callback").status_code == 200  # reading the form is never limited
    finally:
        app.extensions["celery"].set_default()
