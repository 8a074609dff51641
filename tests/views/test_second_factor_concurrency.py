"""One code, many half-signed-in sessions at the same moment: exactly one of them gets in.

Real requests on real, committed PostgreSQL transactions: each thread has
its own test client, so its own request, app context and database session,
as gunicorn workers would.  Every thread is held at a rendezvous after it
has worked out which code it was given and before it marks the code used,
so all of them have read the account as it was before any of them wrote:
the worst interleaving, every run.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intake.models import AuditEvent, StaffSession, User
from intake.services.staff import mfa
from tests.views.conftest import TEST_PASSWORD, csrf_token, make_user, totp_code

pytestmark = pytest.mark.committed

SESSIONS = 4
SECOND = "/login/second-factor"


def _half_signed_in(app: Flask, email: str) -> list[tuple[FlaskClient, str]]:
    """SESSIONS browsers past the password, each with its second step's CSRF token."""
    browsers = []
    for _ in range(SESSIONS):
        client = app.test_client()
        with app.app_context():
            token = csrf_token(client, "/login")
            response = client.post(
                "/login", data={"csrf_token": token, "email": email, "password": TEST_PASSWORD}
            )
            assert response.status_code == 303 and response.headers["Location"].endswith(SECOND)
            browsers.append((client, csrf_token(client, SECOND)))
    return browsers


def _hold_after(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """Hold every posting thread after its first call of ``mfa.<name>`` until all have made it.

    Returns a list that records a missed meeting, so a refactor that stops
    calling the hook fails the test clearly instead of quietly not racing.
    """
    original = getattr(mfa, name)
    barrier = threading.Barrier(SESSIONS, timeout=10)
    seen, missed = threading.local(), []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not getattr(seen, "done", False):
            seen.done = True
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                missed.append(name)
        return result

    monkeypatch.setattr(mfa, name, wrapper)
    return missed


def _post_at_once(browsers: list[tuple[FlaskClient, str]], code: str) -> list[int]:
    """POST the same code from every browser, each in its own thread; their statuses."""
    statuses: list[int] = [0] * len(browsers)
    errors: list[BaseException] = []

    def post(i: int, client: FlaskClient, token: str) -> None:
        try:
            response = client.post(SECOND, data={"csrf_token": token, "code": code})
            statuses[i] = response.status_code
        except BaseException as exc:  # surfaced below: a thread must not fail silently
            errors.append(exc)

    threads = [
        threading.Thread(target=post, args=(i, client, token))
        for i, (client, token) in enumerate(browsers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a post hung (deadlock?)"
    assert not errors, errors
    return statuses


def _count(session: Any, model: Any, *where: Any) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model).where(*where)))


def _exactly_one_got_in(
    app: Flask, committed_db: Any, browsers: list[tuple[FlaskClient, str]], statuses: list[int]
) -> None:
    assert sorted(statuses) == [303] + [400] * (SESSIONS - 1), statuses
    with app.app_context():
        opened = [client.get("/admin/").status_code for client, _ in browsers]
    assert sorted(opened) == [200] + [302] * (SESSIONS - 1)  # the others are not signed in
    assert _count(committed_db, StaffSession) == 1
    assert _count(committed_db, AuditEvent, AuditEvent.action == "mfa.success") == 1
    assert _count(committed_db, AuditEvent, AuditEvent.action == "mfa.failure") == SESSIONS - 1


def _admin(committed_db: Any) -> User:
    admin = make_user(committed_db, "admin", "racing@staff.example.org")
    committed_db.commit()
    return admin


def test_one_totp_code_posted_by_four_sessions_at_once_signs_in_one(
    app: Flask, committed_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = _admin(committed_db)
    browsers = _half_signed_in(app, admin.email)
    code = totp_code(committed_db, admin)
    missed = _hold_after(monkeypatch, "_step_of")

    statuses = _post_at_once(browsers, code)

    assert not missed, "the race was not forced: every post must meet before marking the code"
    _exactly_one_got_in(app, committed_db, browsers, statuses)
    committed_db.refresh(admin)
    assert admin.totp_last_step > 0


def test_one_recovery_code_posted_by_four_sessions_at_once_signs_in_one(
    app: Flask, committed_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = _admin(committed_db)
    codes = mfa.new_recovery_codes(admin)
    committed_db.commit()
    browsers = _half_signed_in(app, admin.email)
    missed = _hold_after(monkeypatch, "_hash")

    statuses = _post_at_once(browsers, codes[0])

    assert not missed, "the race was not forced: every post must meet before marking the code"
    _exactly_one_got_in(app, committed_db, browsers, statuses)
    committed_db.refresh(admin)
    assert len(admin.recovery_codes) == mfa.RECOVERY_CODES - 1
