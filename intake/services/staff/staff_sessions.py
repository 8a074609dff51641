"""Staff sessions on the server: started at sign-in, checked on every request, ended for good.

A Flask session cookie is signed, not stored: a copy taken from a shared
computer would keep working after "sign out" until it expired.  So the
cookie carries a random token and this module keeps its hash, with the
limits that apply to anyone holding health data on screen:

    idle      IDLE_MINUTES (15) since the last thing the person did
    absolute  ABSOLUTE_HOURS (12) since signing in, whatever they did

Background requests (the console's panel refresh, lease renewals) check
the session but do not count as activity, or an open console would never
time out.  ``last_seen_at`` is written at most every TOUCH_SECONDS, so a
busy console costs one small UPDATE a minute, not one per request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.staff_session import StaffSession
from intake.models.user import User

IDLE_MINUTES = 15
ABSOLUTE_HOURS = 12
WARN_SECONDS = 120  # the page warns this long before the idle sign-out
TOUCH_SECONDS = 30
IDLE = timedelta(minutes=IDLE_MINUTES)
ABSOLUTE = timedelta(hours=ABSOLUTE_HOURS)


@dataclass(frozen=True)
class Verdict:
    """Whether a request's session may go on, and if not why (for the sign-in page's words)."""

    ok: bool
    reason: str = ""  # idle, expired, signed_out, deactivated, unknown


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, now: datetime | None = None) -> str:
    """A new session for a fresh sign-in; the token goes into the cookie, its hash here."""
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    session.add(StaffSession(token_hash=_hash(token), user_id=user.id, created_at=now,
                             last_seen_at=now))  # fmt: skip
    return token


def check(
    session: Session, token: str | None, user_id: int, now: datetime | None = None,
    active: bool = True,
) -> Verdict:  # fmt: skip
    """Is this token a live session of this user? Ends it when a limit has passed.

    ``active`` says whether the request is the person's own doing (a page,
    a form) rather than a background refresh: only that extends the idle limit.
    """
    if not token:
        return Verdict(False, "unknown")
    now = now or utcnow()
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
    if row is None or row.user_id != user_id:
        return Verdict(False, "unknown")
    if row.ended_at is not None:
        return Verdict(False, row.end_reason or "signed_out")
    active_account = session.scalar(select(User.active).where(User.id == user_id))
    reason = _limit_passed(row, bool(active_account), now)
    if reason:
        _end_rows(session, [row.id], reason, now)
        return Verdict(False, reason)
    if active and now - row.last_seen_at >= timedelta(seconds=TOUCH_SECONDS):
        session.execute(
            update(StaffSession).where(StaffSession.id == row.id).values(last_seen_at=now)
        )
    return Verdict(True)


def _limit_passed(row: StaffSession, active_account: bool, now: datetime) -> str:
    if not active_account:
        return "deactivated"
    if now - row.created_at >= ABSOLUTE:
        return "expired"
    if now - row.last_seen_at >= IDLE:
        return "idle"
    return ""


def end(session: Session, token: str | None, reason: str = "signed_out") -> None:
    """End one session (sign-out): its cookie opens nothing afterwards."""
    if token:
        row = session.scalar(select(StaffSession.id).where(StaffSession.token_hash == _hash(token)))
        if row is not None:
            _end_rows(session, [row], reason, utcnow())


def end_all_for(session: Session, user_id: int, reason: str) -> int:
    """End every open session of one person (deactivation, a password reset)."""
    ids = list(session.scalars(select(StaffSession.id).where(
        StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))))  # fmt: skip
    _end_rows(session, ids, reason, utcnow())
    return len(ids)


def _end_rows(session: Session, ids: list[int], reason: str, now: datetime) -> None:
    if ids:
        session.execute(
            update(StaffSession)
            .where(StaffSession.id.in_(ids), StaffSession.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason)
        )
