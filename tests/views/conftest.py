"""Staff fixtures: sign in through the real /login form, with its CSRF token."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from flask.testing import FlaskClient

from intake.models import User
from intake.models.base import utcnow
from intake.services.staff import auth, mfa

TEST_PASSWORD = "correct horse battery staple"  # noqa: S105 (a test fixture, not a secret)
_CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page renders for this client's session (any form's will do)."""
    response = client.get(path)
    match = _CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"{path} rendered no CSRF token (status {response.status_code})"
    return match.group(1)


def post_form(
    client: FlaskClient, path: str, data: dict[str, Any] | None = None, token_from: str = ""
) -> Any:
    """POST as a browser would: with the CSRF token from ``token_from`` (default: ``path``)."""
    token = csrf_token(client, token_from or path)
    return client.post(path, data={"csrf_token": token, **(data or {})})


def make_user(
    db_session: Any, role: str, email: str | None = None, skills: Iterable[str] = ()
) -> User:
    """A staff account with the known test password (admins with their second step set up)."""
    email = email or f"{role}@staff.example.org"
    user = auth.create_user(db_session, email, role, TEST_PASSWORD, f"Test {role}", skills)
    if mfa.required(user):
        user.totp_secret, user.totp_enabled_at = pyotp.random_base32(), utcnow()
        db_session.flush()
    return user


def totp_code(db_session: Any, user: User) -> str:
    """A code the app will take: one time step after the last one used (a code is good once)."""
    db_session.refresh(user)
    totp = pyotp.TOTP(user.totp_secret)
    now = totp.timecode(utcnow())
    # the app takes one step either side of its own clock, read when the code arrives: a code
    # of the step before, made just before a step ends, arrived two behind (a browser test's
    # sign-in failed at 04:28:00).  So the oldest step used is the one before a clock 5 s on.
    soon = totp.timecode(utcnow() + timedelta(seconds=5))
    step = max(soon - 1, (user.totp_last_step or 0) + 1)
    assert step <= now + 1, "more than three admin sign-ins in 30 seconds"
    return totp.generate_otp(step)


def sign_in(client: FlaskClient, db_session: Any, user: User, password: str = TEST_PASSWORD) -> Any:
    """The whole sign-in as a person does it: password, then for admins the second step."""
    response = post_form(client, "/login", {"email": user.email, "password": password})
    if response.status_code == 303 and response.headers["Location"].endswith(
        "/login/second-factor"
    ):
        response = post_form(client, "/login/second-factor", {"code": totp_code(db_session, user)})
    return response


@pytest.fixture
def login_as(client: FlaskClient, db_session: Any) -> Callable[..., User]:
    """``login_as("admin")``: create a user of that role and sign the client in as them."""

    def login(role: str, email: str | None = None, skills: Iterable[str] = ()) -> User:
        user = make_user(db_session, role, email, skills)
        response = sign_in(client, db_session, user)
        assert response.status_code == 303, response.get_data(as_text=True)
        return user

    return login
