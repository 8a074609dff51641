"""Staff accounts run by admins: create, deactivate, and set-your-password links.

No admin ever sees or types anyone's password.  A new account gets an
unusable random password and a one-time link (valid LINK_HOURS) with which
the person chooses their own; a reset issues a new link the same way.  Only
the link's SHA-256 is stored, a second link replaces the first, and using
one ends the person's open sessions.  Deactivating an account ends its
sessions at once; nothing is deleted, so the audit log keeps its actor.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.user import User
from intake.services import audit, auth, staff_sessions

LINK_HOURS = 48


class LinkError(ValueError):
    """A set-your-password link that is unknown, used or out of date."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    session: Session, admin: User, email: str, role: str, name: str | None,
    skills: Iterable[str], ip: str | None,
) -> tuple[User, str]:  # fmt: skip
    """A new account and its first set-your-password link token (AccountError if refused)."""
    user = auth.create_user(session, email, role, secrets.token_urlsafe(32), name, skills)
    token = issue_link(user)
    audit.record(session, admin, "user.create", "user", user.id, {"role": role}, ip)
    return user, token


def issue_link(user: User, now: datetime | None = None) -> str:
    """A fresh one-time link token for this person (any earlier link stops working)."""
    token = secrets.token_urlsafe(32)
    user.password_link_hash = _hash(token)
    user.password_link_expires_at = (now or utcnow()) + timedelta(hours=LINK_HOURS)
    return token


def reset_password(session: Session, admin: User, user: User, ip: str | None) -> str:
    """A new link for someone who forgot their password (their password works until used)."""
    token = issue_link(user)
    audit.record(session, admin, "user.password_link", "user", user.id, {}, ip)
    return token


def user_for_link(session: Session, token: str, now: datetime | None = None) -> User:
    """The active account a link belongs to, if the link still works (LinkError if not)."""
    user = session.scalar(select(User).where(User.password_link_hash == _hash(token)))
    if user is None or not user.active:
        raise LinkError("This link has been used or replaced.")
    expires = user.password_link_expires_at
    if expires is None or expires <= (now or utcnow()):
        raise LinkError("This link is out of date.")
    return user


def use_link(session: Session, token: str, password: str, ip: str | None) -> User:
    """Set the password chosen through a link; the link is spent, old sessions end."""
    user = user_for_link(session, token)
    auth.set_password(user, password)  # AccountError for a weak password: the link stays good
    user.password_link_hash = user.password_link_expires_at = None
    staff_sessions.end_all_for(session, user.id, "password_set")
    audit.record(session, user, "user.password_set", "user", user.id, {}, ip)
    return user


def set_active(session: Session, admin: User, user: User, active: bool, ip: str | None) -> None:
    """Deactivate (ending every session now) or reactivate an account; never oneself."""
    if user.id == admin.id:
        raise auth.AccountError("You cannot deactivate your own account.")
    user.active = active
    if not active:
        user.password_link_hash = user.password_link_expires_at = None
        staff_sessions.end_all_for(session, user.id, "deactivated")
    action = "user.reactivate" if active else "user.deactivate"
    audit.record(session, admin, action, "user", user.id, {}, ip)
