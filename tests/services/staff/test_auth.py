"""Staff accounts: argon2id hashes, sign-in with lockout, and the ``intake users`` command."""

from __future__ import annotations

import io
import re
import sys
from datetime import timedelta
from pathlib import Path

import click
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from intake.cli import users as users_cli
from intake.cli.demo import demo
from intake.cli.users import users
from intake.models import AuditEvent, User
from intake.models.base import utcnow
from intake.services.staff import auth

PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(db_session) -> User:
    return auth.create_user(db_session, " Sam.Staff@Example.ORG ", "advocate", PASSWORD, "Sam")


def events(db_session, action: str) -> list[AuditEvent]:
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_passwords_are_stored_as_argon2id_hashes(staff):
    assert staff.password_hash.startswith("$argon2id$")
    # the parameters are ours, written out, and what the stored hash says
    assert staff.password_hash.split("$")[3] == "m=65536,t=3,p=4"
    assert auth.hasher.time_cost == 3 and auth.hasher.memory_cost == 65536
    assert auth.hasher.parallelism == 4 and auth.hasher.hash_len == 32
    assert PASSWORD not in staff.password_hash
    assert PasswordHasher().verify(staff.password_hash, PASSWORD)
    assert staff.email == "sam.staff@example.org"  # normalised, so sign-in ignores case


def test_the_right_password_signs_in_and_is_audited(db_session, staff):
    result = auth.authenticate(db_session, "SAM.STAFF@example.org", PASSWORD, ip="203.0.113.9")
    assert result.ok and result.user is staff
    assert staff.last_login_at is not None and staff.failed_logins == 0
    [event] = events(db_session, "login.success")
    assert (event.actor_id, event.ip, event.detail) == (staff.id, "203.0.113.9", {})


def test_a_wrong_password_fails_and_counts(db_session, staff):
    result = auth.authenticate(db_session, staff.email, "not the password at all")
    assert not result.ok and result.reason == "bad_password"
    assert staff.failed_logins == 1 and staff.last_login_at is None
    [event] = events(db_session, "login.failure")
    assert event.actor_id == staff.id and event.detail == {"reason": "bad_password"}


def test_an_unknown_email_fails_without_naming_anyone(db_session, staff):
    result = auth.authenticate(db_session, "nobody@example.org", PASSWORD)
    assert (result.ok, result.user, result.reason) == (False, None, "unknown_email")
    [event] = events(db_session, "login.failure")
    assert event.actor_id is None and event.actor_label == "anonymous"
    assert "nobody" not in str(event.detail)


def test_every_attempt_costs_one_hash(db_session, staff, monkeypatch):
    """Known and unknown emails take the same work, so timing tells nothing."""
    calls = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash, password):
            calls.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(auth, "hasher", CountingHasher())
    auth.authenticate(db_session, "nobody@example.org", PASSWORD)
    auth.authenticate(db_session, staff.email, "wrong password here")
    auth.authenticate(db_session, staff.email, PASSWORD)
    assert len(calls) == 3


def test_wrong_passwords_by_someone_else_never_lock_the_real_person_out(db_session, staff):
    """Throttling is per account and address (the view's); the account itself never locks."""
    for _ in range(25):
        assert not auth.authenticate(db_session, staff.email, "wrong password here").ok
    assert staff.failed_logins == 25
    assert auth.authenticate(db_session, staff.email, PASSWORD).ok
    assert staff.failed_logins == 0


def test_an_inactive_account_cannot_sign_in(db_session, staff):
    staff.active = False
    result = auth.authenticate(db_session, staff.email, PASSWORD)
    assert (result.ok, result.reason) == (False, "inactive")
    assert not staff.is_active


def test_an_old_hash_is_upgraded_on_sign_in(db_session, staff):
    staff.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    assert auth.hasher.check_needs_rehash(staff.password_hash)
    assert auth.authenticate(db_session, staff.email, PASSWORD).ok
    assert not auth.hasher.check_needs_rehash(staff.password_hash)
    assert auth.hasher.verify(staff.password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("email", "role", "password", "skills", "message"),
    [
        ("a@example.org", "admin", "short pass", (), "at least 12 characters"),
        ("a@example.org", "root", PASSWORD, (), "role must be one of"),
        ("not-an-email", "admin", PASSWORD, (), "not an email address"),
        ("SAM.staff@example.org", "admin", PASSWORD, (), "already exists"),
        ("a@example.org", "advocate", PASSWORD, ("spanish",), "Unknown skill"),
    ],
)
def test_bad_accounts_are_refused(db_session, staff, email, role, password, skills, message):
    with pytest.raises(auth.AccountError, match=message):
        auth.create_user(db_session, email, role, password, skills=skills)


def test_set_password_checks_length_and_unlocks(staff):
    with pytest.raises(auth.AccountError):
        auth.set_password(staff, "too short")
    staff.failed_logins, staff.locked_until = 10, utcnow() + timedelta(minutes=5)
    auth.set_password(staff, "a brand new passphrase")
    assert staff.failed_logins == 0 and staff.locked_until is None


def test_cli_creates_a_user_from_piped_standard_input(app, db_session):
    runner = app.test_cli_runner()
    args = ["create", "--email", "Lee@Example.org", "--role", "advocate", "--skills", "es, va"]
    result = runner.invoke(users, args, input="  spaces kept inside \n")
    assert result.exit_code == 0, result.output
    user = auth.find_user(db_session, "lee@example.org")
    assert user.role == "advocate" and user.skills == ["es", "va"]
    assert auth.authenticate(db_session, "lee@example.org", "  spaces kept inside ").ok
    [event] = events(db_session, "user.create")
    assert (event.actor_label, event.actor_id, event.target_id) == ("cli", None, str(user.id))
    assert "spaces kept" not in result.output


def test_cli_rejects_a_short_password_and_creates_nothing(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        users, ["create", "--email", "x@example.org", "--role", "admin"], input="short\n"
    )
    assert result.exit_code == 1 and "at least 12 characters" in result.output
    assert auth.find_user(db_session, "x@example.org") is None
    assert events(db_session, "user.create") == []


def test_demo_creates_staff_once_with_random_printed_passwords(app, db_session):
    runner = app.test_cli_runner()
    first = runner.invoke(demo)
    assert first.exit_code == 0, first.output
    printed = dict(
        line.removeprefix("Demo admin: ").removeprefix("Demo advocate: ").split(" / ")
        for line in first.output.splitlines()
        if line.startswith(("Demo admin:", "Demo advocate:"))
    )
    assert set(printed) == {"admin@example.org", "advocate@example.org"}
    assert len(set(printed.values())) == 2 and all(len(p) >= 12 for p in printed.values())
    for email, password in printed.items():
        assert auth.authenticate(db_session, email, password).ok
    assert auth.find_user(db_session, "advocate@example.org").skills == ["es", "va"]
    # no new accounts: a later start points to the file, never prints the secrets again
    second = runner.invoke(demo)
    assert second.exit_code == 0 and "150 unchanged" in second.output
    logins = Path(app.instance_path) / "demo-staff.txt"
    for email, password in printed.items():
        assert f"{email} / {password}" in logins.read_text()
        assert password not in second.output
    key = re.search(r"^Demo admin second step key: (\S+)", logins.read_text(), re.M)
    assert key and key.group(1) in first.output and key.group(1) not in second.output
    assert f"Demo staff sign-ins at /login: see {logins}" in second.output
    assert db_session.scalar(select(func.count()).select_from(User)) == 2


def test_cli_prompts_twice_without_echo_at_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    asked = {}
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(click, "prompt", lambda text, **kw: asked.update(kw) or "typed password")
    assert users_cli._read_password() == "typed password"
    assert asked == {"hide_input": True, "confirmation_prompt": True}
