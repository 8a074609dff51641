"""Specialist listings (the directory admins manage) and matches recorded on cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.models.base import (
    Base,
    Encrypted,
    EncryptedJSON,
    Timestamped,
    UTCDateTime,
    utcnow,
)


class Specialist(Timestamped, Base):
    """One listing, with every column of the CSV format plus its ZIP's point and time zone.

    ``listing_id`` is the admin's stable key, the one CSV imports upsert on.
    Lists (cancer types, treatments, languages) are JSON arrays kept sorted,
    so an export is byte-for-byte stable.
    """

    __tablename__ = "specialists"
    __table_args__ = (Index("ix_specialists_lat_lon", "lat", "lon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[str] = mapped_column(String(40), unique=True)
    npi: Mapped[str | None] = mapped_column(String(10))
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    credentials: Mapped[str | None] = mapped_column(String(60))
    specialty: Mapped[str] = mapped_column(String(40), index=True)
    institution: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(2), index=True)
    zip: Mapped[str] = mapped_column(String(5))
    cancer_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    treatments: Mapped[list[str]] = mapped_column(JSON, default=list)
    accepts_va: Mapped[bool] = mapped_column(Boolean, default=False)
    accepting_new_patients: Mapped[bool] = mapped_column(Boolean, default=True)
    telehealth: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["en"])
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str | None] = mapped_column(String(40))
    updated_by: Mapped[str | None] = mapped_column(String(120))


class CaseMatch(Base):
    """A specialist matched to a case, with its rank and reasons, as advocates will see it."""

    __tablename__ = "case_matches"
    __table_args__ = (Index("ix_case_matches_specialist_created", "specialist_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    specialist_id: Mapped[int] = mapped_column(ForeignKey("specialists.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    # sealed: distances to a few listed specialists would give away where the patient lives
    distance_miles: Mapped[float] = mapped_column(EncryptedJSON("case_matches.distance_miles"))
    score: Mapped[float] = mapped_column(Float)
    # ranked for the default need: 1 fits the case's stage, 2 treats its type, 3 supportive care
    # (matching/tiers.py; vocab.match_tier_label)
    tier: Mapped[int | None] = mapped_column(Integer)
    # the reasons name the patient's diagnosis ("Treats pleural mesothelioma"): sealed
    reasons: Mapped[list[str]] = mapped_column(EncryptedJSON("case_matches.reasons"), default=list)
    summary: Mapped[str | None] = mapped_column(Encrypted("case_matches.summary"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    specialist: Mapped[Specialist] = relationship()
