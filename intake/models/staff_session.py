"""A staff member's signed-in session, kept on the server so it can really end."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, UTCDateTime, utcnow


class StaffSession(Base):
    """One sign-in: the browser holds a random token, we keep only its SHA-256.

    The signed session cookie alone cannot be revoked (a copy stays valid
    until it expires), so every staff request is checked against this row:
    signing out, an idle quarter of an hour, twelve hours since sign-in or a
    deactivated account end it, and a replayed cookie then opens nothing.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # signed_out, idle, expired, deactivated, replaced
    end_reason: Mapped[str | None] = mapped_column(String(20))
