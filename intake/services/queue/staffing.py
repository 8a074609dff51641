"""Who is working: advocates on shift now, the skills they cover, when someone next works."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import vocab
from intake.models.user import User
from intake.queueing import shifts

# the skills an item can need: every language but English, and VA benefits
SKILLS = frozenset([code for code, _ in vocab.LANGUAGES if code != "en"] + ["va"])


def advocates(session: Session) -> list[User]:
    """Every active advocate account."""
    return list(session.scalars(select(User).where(User.role == "advocate", User.active.is_(True))))


def shifts_of(user: User) -> list[shifts.Shift]:
    """A staff member's shifts as rules."""
    return shifts.parse_shifts(user.shifts or [], user.timezone or "America/New_York")


def all_shifts(session: Session) -> list[shifts.Shift]:
    """Every active advocate's shifts."""
    return [shift for user in advocates(session) for shift in shifts_of(user)]


def on_shift(session: Session, at: datetime) -> list[User]:
    """Advocates working at ``at``; every active advocate when nobody has shifts set at all."""
    team = advocates(session)
    if not any(user.shifts for user in team):
        return team
    return [user for user in team if shifts.on_shift(shifts_of(user), at)]


def uncovered_skills(session: Session, at: datetime) -> frozenset[str]:
    """Skills no advocate on shift has: items needing them are anyone's at once."""
    held = {s.strip().lower() for user in on_shift(session, at) for s in (user.skills or [])}
    return frozenset(SKILLS - held)
