"""Staff accounts run by admins: create, deactivate, and set-your-password links.

No admin ever sees or types anyone's password, nor the link that sets one:
a new account gets an unusable random password, and the worker emails the
person a one-time link (valid LINK_HOURS) with which they choose their own;
a reset emails a new link the same way.  The link is made in the worker, as
the email goes, so it is never in a job message, a page or a log.  Only its
SHA-256 is stored, a second link replaces the first, and using one ends the
person's open sessions.  Deactivating an account ends its
sessions at once; nothing is deleted, so the audit log keeps its actor.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.user import User
from intake.services import outbox
from intake.services.staff import audit, auth, staff_sessions

LINK_HOURS = 48
TASK_EMAIL_LINK = "staff.email_password_link"


class LinkError(ValueError):
    """A set-your-password link that is unknown, used or out of date."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    session: Session, admin: User, email: str, role: str, name: str | None,
    skills: Iterable[str], ip: str | None,
) -> User:  # fmt: skip
    """A new account, its first set-your-password link on its way (AccountError if refused)."""
    user = auth.create_user(session, email, role, secrets.token_urlsafe(32), name, skills)
    audit.record(session, admin, "user.create", "user", user.id, {"role": role}, ip)
    outbox.enqueue_job(session, TASK_EMAIL_LINK, user.id)
    return user


def issue_link(user: User, now: datetime | None = None) -> str:
    """A fresh one-time link token for this person (any earlier link stops working)."""
    token = secrets.token_urlsafe(32)
    user.password_link_hash = _hash(token)
    user.password_link_expires_at = (now or utcnow()) + timedelta(hours=LINK_HOURS)
    return token


def reset_password(session: Session, admin: User, user: User, ip: str | None) -> None:
    """Email a new link to someone who forgot their password (it works until the link is used)."""
    audit.record(session, admin, "user.password_link", "user", user.id, {}, ip)
    outbox.enqueue_job(session, TASK_EMAIL_LINK, user.id)


def email_link(session: Session, user_id: int, transport: Any) -> bool:
    """The worker's half: make the link and email it to the person; False if they are gone.

    A link made here and lost with a failed send is never known to anyone;
    the job's retry makes and sends another, which replaces it.  A server
    that refuses fails the job (``intake.mail.staff``): it runs again, and
    admins see it if it never goes.
    """
    from intake.mail import staff as staff_mail
    from intake.mail.compose import plain_message

    user = session.get(User, user_id, with_for_update=True)
    if user is None or not user.active:
        return False
    config = current_app.config
    link = f"{config['PUBLIC_BASE_URL']}/staff/set-password/{issue_link(user)}"
    greeting = f"Hello {user.name}," if user.name else "Hello,"
    body = (
        f"{greeting}\n\n"
        "Choose your password for our staff pages with this link:\n\n"
        f"{link}\n\n"
        f"It works once, for {LINK_HOURS} hours. If you did not expect this email, tell an "
        "administrator: nobody else can use the link, and your current password, if you have "
        "one, keeps working until the link is used.\n"
    )
    message = plain_message(config["MAIL_FROM"], user.email, "Set your staff password", body)
    session.flush()  # the link's hash is stored before the email can be read
    staff_mail.send(transport, message, "password link")
    return True


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


def staff_addresses(session: Session, addresses: Iterable[str]) -> set[str]:
    """Which of these addresses are staff accounts': mail to one (a password link) is theirs."""
    wanted = {auth.normalise_email(address) for address in addresses}
    if not wanted:
        return set()
    return set(session.scalars(select(User.email).where(User.email.in_(wanted))))


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
