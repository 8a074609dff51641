"""The second step in the embedded mode: one code posted by several sessions at once wins once.

SQLite has no row locks; the UPDATE that spends a code carries its own
guard (a later step than the last one used; the recovery code still in the
list) and SQLite lets one writer at a time, so of several sessions that all
read the account before any of them wrote, exactly one spends the code.
Each thread here is one request: its own session, its own connection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from intake.models import User
from intake.models.base import Base, utcnow
from intake.services.staff import auth, mfa

SESSIONS = 4


@pytest.fixture
def sqlite_engine(app: Flask, tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'intake.sqlite3'}")
    Base.metadata.create_all(engine)
    with app.app_context():  # the TOTP key is sealed with the app's key
        yield engine
    engine.dispose()


def _admin(engine: Engine) -> tuple[int, str, list[str]]:
    """An enrolled admin: their id, TOTP key and recovery codes."""
    with Session(engine) as session:
        admin = auth.create_user(session, "embedded@staff.example.org", "admin",
                                 "correct horse battery staple")  # fmt: skip
        admin.totp_secret, admin.totp_enabled_at = pyotp.random_base32(), utcnow()
        codes = mfa.new_recovery_codes(admin)
        session.commit()
        return admin.id, admin.totp_secret, codes


def _at_once(engine: Engine, user_id: int, code: str) -> list[str | None]:
    """Every session reads the account, waits for the others, then posts ``code``."""
    barrier = threading.Barrier(SESSIONS, timeout=10)
    results: list[str | None] = [None] * SESSIONS
    errors: list[BaseException] = []

    def post(i: int) -> None:
        try:
            with Session(engine) as session:
                user = session.get(User, user_id)
                assert user is not None and user.recovery_codes  # read before anyone writes
                barrier.wait()
                results[i] = mfa.verify(session, user, code)
                session.commit()
        except BaseException as exc:  # surfaced below: a thread must not fail silently
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a session hung"
    assert not errors, errors
    return results


def _reread(engine: Engine, user_id: int) -> Any:
    with Session(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.totp_last_step, list(user.recovery_codes)


def test_one_totp_code_from_four_sessions_at_once_passes_once_on_sqlite(sqlite_engine):
    user_id, secret, _codes = _admin(sqlite_engine)
    totp = pyotp.TOTP(secret)
    step = totp.timecode(utcnow())

    results = _at_once(sqlite_engine, user_id, totp.generate_otp(step))

    assert results.count("totp") == 1 and results.count(None) == SESSIONS - 1
    assert _reread(sqlite_engine, user_id)[0] == step


def test_one_recovery_code_from_four_sessions_at_once_passes_once_on_sqlite(sqlite_engine):
    user_id, _secret, codes = _admin(sqlite_engine)

    results = _at_once(sqlite_engine, user_id, codes[2])

    assert results.count("recovery") == 1 and results.count(None) == SESSIONS - 1
    left = _reread(sqlite_engine, user_id)[1]
    assert len(left) == mfa.RECOVERY_CODES - 1
    assert mfa._hash(codes[2]) not in left and mfa._hash(codes[3]) in left  # the others still work


def test_two_different_recovery_codes_at_once_both_pass_on_sqlite(sqlite_engine):
    """The guard is the code itself, not the whole list: two good codes never knock each out."""
    user_id, _secret, codes = _admin(sqlite_engine)
    barrier = threading.Barrier(2, timeout=10)
    results: list[str | None] = []

    def post(code: str) -> None:
        with Session(sqlite_engine) as session:
            user = session.get(User, user_id)
            assert user is not None and user.recovery_codes
            barrier.wait()
            results.append(mfa.verify(session, user, code))
            session.commit()

    threads = [threading.Thread(target=post, args=(code,)) for code in codes[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == ["recovery", "recovery"]
    assert len(_reread(sqlite_engine, user_id)[1]) == mfa.RECOVERY_CODES - 2
