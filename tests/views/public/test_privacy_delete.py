"""/privacy/delete: one answer for any address, a signed link by email, the button that erases.

The worker's part (looking the address up, owing the email) is called here
as the task calls it; the whole journey through a real worker and SMTP
server is ``tests/worker/test_deletion_journey.py``.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from intake.models import Contact, DeletionRequest, EmailDelivery, OutboxMessage
from intake.models.base import utcnow
from intake.services.privacy import deletion
from intake.views.errors import CSRF_MESSAGE, TOO_LARGE_MESSAGE
from tests.conftest import GOOD_CALLBACK, field_errors, submit
from tests.views.conftest import csrf_token

PAGE = "/privacy/delete"
ANSWER = "If we hold information for that address, we have sent it an email with a link to confirm."
_TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')


def ask(client, email: str, **extra):
    return client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE), "email": email, **extra})


def process_all(db_session) -> None:
    """What the worker's ``privacy.process_deletion_request`` task does, for every job."""
    jobs = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.task_name == deletion.TASK_PROCESS)
    ).all()
    for job in jobs:
        deletion.process(db_session, job.args[0])
    db_session.flush()


@pytest.fixture
def maria(client, db_session) -> Contact:
    submit(client, "/callback", GOOD_CALLBACK)
    return db_session.scalars(select(Contact)).one()


def test_the_page_explains_and_hides_its_trap_from_people(client, db_session):
    html = client.get(PAGE).get_data(as_text=True)
    assert "Delete your information" in html and 'name="csrf_token"' in html
    assert re.search(r'<div hidden aria-hidden="true">\s*<label for="website"', html)
    assert "only a phone number" in html


def test_a_known_and_an_unknown_address_get_the_same_answer(client, db_session, maria):
    known = ask(client, "Maria.Lopez@Example.com")
    unknown = ask(client, "nobody.here@example.com")
    pages = [_TOKEN_RE.sub("", r.get_data(as_text=True)) for r in (known, unknown)]
    assert known.status_code == unknown.status_code == 200
    assert pages[0] == pages[1] and ANSWER in pages[0]
    assert known.headers["Cache-Control"] == "no-store"
    rows = db_session.scalars(select(DeletionRequest).order_by(DeletionRequest.id)).all()
    assert [r.status for r in rows] == ["received", "received"]  # the same work for both
    assert all(r.address_hash and r.contact_id is None for r in rows)

    process_all(db_session)
    assert [(r.status, r.contact_id) for r in rows] == [("emailed", maria.id), ("no_match", None)]
    assert all(r.address_hash is None for r in rows)  # the address's trace goes once looked up
    [delivery] = db_session.scalars(select(EmailDelivery)).all()
    assert (delivery.purpose, delivery.request_id) == ("deletion_confirm", rows[0].id)


def test_asking_again_soon_sends_no_second_email(client, db_session, maria):
    ask(client, "maria.lopez@example.com")
    ask(client, "maria.lopez@example.com")
    process_all(db_session)
    statuses = db_session.scalars(select(DeletionRequest.status).order_by(DeletionRequest.id))
    assert list(statuses) == ["emailed", "throttled"]
    assert db_session.scalar(select(func.count()).select_from(EmailDelivery)) == 1


def test_a_robot_filling_the_trap_gets_the_answer_and_nothing_is_stored(client, db_session, maria):
    response = ask(client, "maria.lopez@example.com", website="http://spam.example")
    assert response.status_code == 200 and ANSWER in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(DeletionRequest)) == 0


def test_a_post_without_its_csrf_token_is_refused_and_keeps_the_address(client, db_session):
    response = client.post(PAGE, data={"email": "maria.lopez@example.com"})
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 400 and CSRF_MESSAGE in html
    assert 'value="maria.lopez@example.com"' in html
    assert db_session.scalar(select(func.count()).select_from(DeletionRequest)) == 0


@pytest.mark.parametrize(
    "email",
    [
        "<script>alert(1)</script>",
        "'; DROP TABLE contacts; --",
        '" OR 1=1 --@example.com',
        "x" * 10_000 + "@example.com",
        "ann\x00lee@example.com",
        "ann@example.com\r\nBcc: evil@example.com",
        "",
        "not an address",
    ],
)
def test_hostile_input_gets_a_clear_message_never_a_500(client, db_session, email):
    response = ask(client, email)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_errors(response), html[:500]
    assert "<script>alert(1)" not in html
    assert db_session.scalar(select(func.count()).select_from(DeletionRequest)) == 0


def test_a_list_or_a_file_in_the_field_is_still_a_clear_message(client, db_session):
    token = csrf_token(client, PAGE)
    as_list = client.post(PAGE, data={"csrf_token": token, "email": ["a@example.com", "b@x.org"]})
    assert as_list.status_code in (200, 400)
    upload = client.post(PAGE, data={"csrf_token": token, "email": (io.BytesIO(b"x"), "a.txt")})
    assert upload.status_code == 400


def test_a_body_over_the_limit_is_a_friendly_413(client, db_session):
    response = client.post(PAGE, data={"email": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert TOO_LARGE_MESSAGE in response.get_data(as_text=True).replace("&#39;", "'")


def _link(client, db_session, maria) -> tuple[str, DeletionRequest]:
    ask(client, "maria.lopez@example.com")
    process_all(db_session)
    row = db_session.scalars(select(DeletionRequest)).one()
    with client.application.test_request_context():
        return f"{PAGE}/{deletion.token_for(row.id, maria.id)}", row


def test_the_link_shows_what_goes_and_the_button_erases(client, db_session, maria):
    path, row = _link(client, db_session, maria)
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Delete your information?" in html
    assert "Maria" not in html and "maria.lopez" not in html  # the page itself shows no data
    assert page.headers["Cache-Control"] == "no-store"

    refused = client.post(path, data={})
    assert refused.status_code == 400
    db_session.refresh(maria)
    assert maria.erased_at is None

    done = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert done.status_code == 200 and "Your information is deleted" in done.get_data(as_text=True)
    db_session.expire_all()
    maria = db_session.get(Contact, maria.id)
    assert maria.erased_at is not None and maria.email is None and maria.phone is None
    assert db_session.get(DeletionRequest, row.id).status == "erased"
    again = client.get(path)
    assert again.status_code == 200 and "Your information is deleted" in again.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "token", ["x", "WzEsMV0.forged.sig", "<script>alert(1)</script>", "y" * 3000, "..%2f"]
)
def test_a_forged_or_broken_link_is_a_friendly_page(client, db_session, token):
    response = client.get(f"{PAGE}/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    # a token with a slash matches no route: the site's own not-found page answers
    assert "This link does not work" in html or "We could not find that page" in html
    assert "<script>alert(1)" not in html


def test_a_link_for_another_request_or_person_is_refused(client, db_session, maria):
    _path, row = _link(client, db_session, maria)
    with client.application.test_request_context():
        tampered = deletion.token_for(row.id, maria.id + 1)
    assert client.get(f"{PAGE}/{tampered}").status_code == 404


def test_an_expired_link_erases_nothing(client, db_session, maria):
    path, row = _link(client, db_session, maria)
    row.expires_at = utcnow() - timedelta(minutes=1)
    db_session.flush()
    page = client.get(path)
    assert page.status_code == 410 and "This link has expired" in page.get_data(as_text=True)
    pressed = client.post(path, data={"csrf_token": csrf_token(client, "/login")})
    assert pressed.status_code == 410
    db_session.refresh(maria)
    assert maria.erased_at is None and maria.email == "maria.lopez@example.com"


def test_the_privacy_page_links_to_it_and_states_the_retention_period(client, db_session):
    html = client.get("/privacy").get_data(as_text=True)
    assert 'href="/privacy/delete"' in html
    assert f"{int(client.application.config['RETENTION_DAYS'])} days" in html


@pytest.fixture
def limited_client(app, db_session):
    """An app with limits on; the shared limiter is restored after (as in test_rate_limits)."""
    from intake import create_app
    from intake.extensions import limiter

    limited = create_app(
        {"TESTING": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}
    )
    try:
        yield limited.test_client()
    finally:
        limiter.init_app(app)
        app.extensions["celery"].set_default()


def test_the_form_is_rate_limited_like_the_other_public_forms(limited_client):
    from intake.views.public.privacy import FORM_RATE_LIMIT

    token = csrf_token(limited_client, PAGE)
    per_hour = int(FORM_RATE_LIMIT.split()[0])
    statuses = {limited_client.post(PAGE, data={"csrf_token": token, "email": "bad"}).status_code
                for _ in range(per_hour)}  # fmt: skip
    assert statuses == {400}
    blocked = limited_client.post(PAGE, data={"csrf_token": token, "email": "bad"})
    assert blocked.status_code == 429 and "Too many requests" in blocked.get_data(as_text=True)
    assert limited_client.get(PAGE).status_code == 200  # reading is never limited
