"""Staff accounts: argon2id password hashes, sign-in, and account creation.

Wrong passwords are throttled per account and address by the sign-in view
(``views/auth.py``), not by locking the account: a lock anyone can trigger
by typing someone's email ten times would lock the real person out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.user import ROLES, User
from intake.queueing import skills as skill_rules
from intake.services.staff import audit

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing megabytes on every attempt would be a denial of service

# argon2id with the parameters written out (RFC 9106's second recommendation, the low-memory
# profile: 3 passes over 64 MiB, 4 lanes), so a library upgrade that changes its defaults does
# not change ours unseen; a sign-in rehashes any stored hash made with other parameters.
ARGON2 = {
    "time_cost": 3,
    "memory_cost": 64 * 1024,  # KiB
    "parallelism": 4,
    "hash_len": 32,
    "salt_len": 16,
    "type": Type.ID,
}
hasher = PasswordHasher(**ARGON2)  # type: ignore[arg-type]
# Verified against when the email is unknown, so every attempt costs one hash.
_DUMMY_HASH = hasher.hash("not a real password, only here for timing")


class AccountError(ValueError):
    """A staff account request that cannot be honoured (weak password, taken email...)."""


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a sign-in; ``user`` is set on failure too when the email is known."""

    user: User | None
    ok: bool
    reason: str


def normalise_email(email: str) -> str:
    """Staff emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def check_password(password: str) -> None:
    """Refuse passwords too short to resist guessing, or too long to hash cheaply."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at most {MAX_PASSWORD_LENGTH} characters.")


def clean_skills(skills: Iterable[str]) -> list[str]:
    """Only skills calls are routed by (``queueing/skills.py``), kept sorted and unique."""
    problem = skill_rules.problem(skills)
    if problem:
        raise AccountError(problem)
    return skill_rules.split(skills)


def set_password(user: User, password: str) -> None:
    """Store a fresh argon2id hash; unlocks the account as a reset should."""
    check_password(password)
    user.password_hash = hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None


def create_user(
    session: Session,
    email: str,
    role: str,
    password: str,
    name: str | None = None,
    skills: Iterable[str] = (),
) -> User:
    """Add a staff account; raises AccountError for a bad role, password or a taken email."""
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise AccountError("That is not an email address.") from None
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError("A staff account with that email already exists.")
    user = User(email=email, role=role, name=(name or "").strip() or None, active=True)
    user.skills = clean_skills(skills)
    set_password(user, password)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    """The account for an email, whatever its case."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(session: Session, email: str, password: str, ip: str | None = None) -> LoginResult:
    """Check a sign-in, count failures (for staff to see) and audit the attempt."""
    user = find_user(session, email)
    result = _verify(user, password)
    if user is not None:
        _note_attempt(user, result)
    detail = {} if result.ok else {"reason": result.reason}
    action = "login.success" if result.ok else "login.failure"
    audit.record(session, user, action, "user", user.id if user else None, detail, ip)
    return result


def _verify(user: User | None, password: str) -> LoginResult:
    """Every path hashes once, so timing does not tell a known email from an unknown one."""
    if user is None:
        _safe_verify(_DUMMY_HASH, password)
        return LoginResult(user, False, "unknown_email")
    if not _safe_verify(user.password_hash, password):
        return LoginResult(user, False, "bad_password")
    if not user.active:
        return LoginResult(user, False, "inactive")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return LoginResult(user, True, "ok")


def _safe_verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return False


def _note_attempt(user: User, result: LoginResult) -> None:
    """Reset the counter on success; count wrong passwords (throttling is the view's)."""
    if result.ok:
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = utcnow()
    elif result.reason == "bad_password":
        user.failed_logins = (user.failed_logins or 0) + 1
