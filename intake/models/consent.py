"""The consent ledger: what someone agreed to, when, from where, covering what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, Encrypted, UTCDateTime, utcnow

PURPOSE_ADVOCATE_CALLS = "advocate_calls"
PURPOSE_GUIDE_EMAIL = "guide_email"
PURPOSE_FOLLOWUP_EMAILS = "followup_emails"


class ConsentRecord(Base):
    """One grant of consent, never edited except to record its revocation.

    ``covers`` is the exact phone number or email address the consent is for
    (sealed), with its keyed hash so a call or email can be checked against
    the ledger without decrypting.
    """

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_lookup", "covers_hash", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    covers: Mapped[str] = mapped_column(Encrypted("consent_records.covers"))
    covers_hash: Mapped[str] = mapped_column(String(64))
    text_version: Mapped[str] = mapped_column(String(60))
    text_sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(40))
    ip_address: Mapped[str | None] = mapped_column(Encrypted("consent_records.ip_address"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(200))
