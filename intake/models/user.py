"""Staff accounts (advocates and admins) who sign in to the queue and the admin pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, Encrypted, Timestamped, UTCDateTime

ROLES: tuple[str, ...] = ("advocate", "admin")


class User(Timestamped, Base):
    """A staff member; the Flask-Login protocol is spelled out so ``active`` really gates access.

    Staff emails are work addresses, not patient data, so they are stored in
    plain text (lower-cased) and can be looked up directly.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    # when they work, in their own zone: [{"days": [0..6 Mon=0], "start": "09:00", "end": "17:00"}]
    shifts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(
        String(40), default="America/New_York", server_default="America/New_York"
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # second factor (required for admins): the TOTP key sealed like personal data, the last
    # time step accepted (a code is good once), and one-time recovery codes as SHA-256 hashes
    totp_secret: Mapped[str | None] = mapped_column(Encrypted("users.totp_secret"))
    totp_pending: Mapped[str | None] = mapped_column(Encrypted("users.totp_pending"))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    recovery_codes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # the one outstanding "set your password" link: its SHA-256 and when it stops working
    password_link_hash: Mapped[str | None] = mapped_column(String(64))
    password_link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        """A deactivated account cannot sign in and its open sessions stop working."""
        return bool(self.active)

    @property
    def is_authenticated(self) -> bool:
        """Flask-Login: a loaded user is a signed-in user."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """Flask-Login: the opposite of ``is_authenticated``."""
        return False

    @property
    def is_admin(self) -> bool:
        """Admins manage listings, staff and see the audit log."""
        return self.role == "admin"

    def get_id(self) -> str:
        """The value Flask-Login keeps in the session cookie."""
        return str(self.id)

    @property
    def label(self) -> str:
        """How the audit log and ``updated_by`` name this person."""
        return self.email
