"""Public form POSTs are rate limited per address, with a friendly page, not a stack trace."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlalchemy import select

from intake.extensions import limiter
from intake.models import AuditEvent
from intake.models.base import utcnow
from intake.views.public.match import MATCH_RATE_LIMIT
from intake.views.public.public import FORM_RATE_LIMIT
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


class _Clock:
    """The limiter's in-memory storage's idea of now, which a test can move on."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def time(self) -> float:
        return time.time() + self.ahead


@pytest.fixture
def limits_clock(monkeypatch) -> _Clock:
    import limits.storage.memory

    clock = _Clock()
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    return clock


def _guess(app, email: str, address: str, times: int) -> list[int]:
    client = app.test_client()
    return [_sign_in(client, email, "wrong password here", address).status_code
            for _ in range(times)]  # fmt: skip


def test_thirty_wrong_passwords_from_six_addresses_leave_the_right_one_working(
    limited_app, db_session
):
    """The review's reproduction: an account-wide lock let strangers keep a staff member out."""
    from intake.views.auth import FAILURES_PER_ACCOUNT_AND_ADDRESS
    from tests.views.conftest import TEST_PASSWORD, make_user

    staff = make_user(db_session, "advocate")
    app = limited_app()
    per_address = int(FAILURES_PER_ACCOUNT_AND_ADDRESS.split()[0])
    for n in range(1, 7):
        assert set(_guess(app, staff.email, f"198.51.100.{n}", per_address)) <= {400, 429}
    # the person, from an address that typed no wrong password, is not locked out
    assert _sign_in(app.test_client(), staff.email, TEST_PASSWORD, "203.0.113.5").status_code == 303


def test_an_account_under_attack_slows_down_only_the_addresses_that_guessed(
    limited_app, db_session, limits_clock
):
    from intake.services.staff.sign_in_throttle import COOL_DOWN, SLOWDOWN_AFTER
    from intake.views.auth import FAILURES_PER_ACCOUNT_AND_ADDRESS
    from tests.views.conftest import TEST_PASSWORD, make_user

    staff = make_user(db_session, "advocate")
    app = limited_app()
    per_address = int(FAILURES_PER_ACCOUNT_AND_ADDRESS.split()[0])
    slowdown_after = SLOWDOWN_AFTER
    assert slowdown_after % per_address == 0
    answers = []
    for email in (staff.email, "nobody-here@staff.example.org"):
        for n in range(slowdown_after // per_address):  # enough wrong passwords to slow down
            assert _guess(app, email, f"198.51.100.{n}", per_address) == [400] * per_address
        # a new address has one guess, then waits, though it is far below its own limit
        answers.append(_guess(app, email, "198.51.100.77", 2))
    assert answers[0] == answers[1] == [400, 429]  # alike whether the account exists or not
    late = app.test_client()
    assert _sign_in(late, staff.email, TEST_PASSWORD, "198.51.100.77").status_code == 429
    # the person at their own desk has typed no wrong password: not held back at all
    assert _sign_in(app.test_client(), staff.email, TEST_PASSWORD, "203.0.113.5").status_code == 303
    limits_clock.ahead = _seconds(COOL_DOWN) + 1  # the cool-down is short
    assert _sign_in(late, staff.email, TEST_PASSWORD, "198.51.100.77").status_code == 303


def _seconds(limit: str) -> int:
    """How long a limit such as "1 per 10 minutes" remembers a hit."""
    from limits import parse

    return int(parse(limit).get_expiry())


def _wrong_code(admin) -> str:
    """Six digits that are none of the codes the app would take right now."""
    totp = pyotp.TOTP(admin.totp_secret)
    step = totp.timecode(utcnow())
    valid = {totp.generate_otp(s) for s in (step - 1, step, step + 1)}
    return next(c for c in (f"{n:06d}" for n in range(1000)) if c not in valid)


def _at_second_step(app, admin, address: str):
    """A browser past the password from ``address``, and a way to post codes from there."""
    from tests.views.conftest import TEST_PASSWORD, csrf_token

    client = app.test_client()
    assert _sign_in(client, admin.email, TEST_PASSWORD, address).status_code == 303
    token = csrf_token(client, "/login/second-factor")

    def post(code: str):
        return client.post("/login/second-factor", data={"csrf_token": token, "code": code},
                           environ_base={"REMOTE_ADDR": address})  # fmt: skip

    return client, post


def test_wrong_codes_from_many_addresses_pause_the_second_step_for_that_account(
    limited_app, db_session, limits_clock, caplog
):
    """A code is six digits: only a ceiling per account stops guessing spread over addresses."""
    from intake.services.staff.sign_in_throttle import WRONG_CODES_PER_ACCOUNT
    from intake.views.auth import FAILURES_PER_SECOND_STEP
    from tests.views.conftest import make_user, totp_code

    admin = make_user(db_session, "admin")
    other = make_user(db_session, "admin", "other-admin@staff.example.org")
    app = limited_app()
    ceiling = int(WRONG_CODES_PER_ACCOUNT.split()[0])
    per_address = int(FAILURES_PER_SECOND_STEP.split()[0]) - 1  # each address below its own
    statuses: list[int] = []
    for n in range(1, 5):  # the review's four addresses
        _client, post = _at_second_step(app, admin, f"198.51.100.{n}")
        statuses += [post(_wrong_code(admin)).status_code for _ in range(per_address)]
    assert statuses[:ceiling] == [400] * ceiling
    assert set(statuses[ceiling:]) == {429}  # paused: no code is checked any more

    # even the right code, from an address that typed no wrong one, is refused for now
    client, post = _at_second_step(app, admin, "203.0.113.5")
    paused = post(totp_code(db_session, admin))
    assert paused.status_code == 429
    assert "code entry is paused" in paused.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    # another admin's second step is theirs alone
    _client, theirs = _at_second_step(app, other, "198.51.100.1")
    assert theirs(totp_code(db_session, other)).status_code == 303

    [event] = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "mfa.paused"))
    assert (event.actor_id, event.target_id) == (admin.id, str(admin.id))
    assert event.detail == {"wrong_codes": ceiling}  # a count, nothing typed
    [warning] = [r for r in caplog.records if "paused" in r.getMessage()]
    assert admin.email not in warning.getMessage() and str(admin.id) in warning.getMessage()

    limits_clock.ahead = _seconds(WRONG_CODES_PER_ACCOUNT) + 1  # "for a while", not for ever
    client, post = _at_second_step(app, admin, "203.0.113.5")
    assert post(totp_code(db_session, admin)).status_code == 303
