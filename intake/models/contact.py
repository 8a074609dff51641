"""A person who wrote to us, and the patient case they wrote about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.models.base import Base, Encrypted, EncryptedJSON, Timestamped, UTCDateTime, utcnow


class Contact(Timestamped, Base):
    """One person as they gave themselves to us; their later requests attach here only on
    strong evidence (see ``services/people/contacts.py``).

    Names, email and phone are sealed; ``email_hash`` and ``phone_hash`` are
    keyed hashes of the normalised values for look-up.  Nothing a public form
    says is verified, so neither is unique alone: two people may give the same
    address (a spouse's, a mistyped one, a stranger's).  The pair is unique,
    so the same email and phone sent twice at once still make one contact.
    """

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_email_phone", "email_hash", "phone_hash", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(Encrypted("contacts.first_name"))
    last_name: Mapped[str | None] = mapped_column(Encrypted("contacts.last_name"))
    email: Mapped[str | None] = mapped_column(Encrypted("contacts.email"))
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone: Mapped[str | None] = mapped_column(Encrypted("contacts.phone"))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    do_not_call: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # an advocate reached someone else at this number: it is not called again as it stands
    phone_wrong: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    email_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # personal data erased (a deletion request or the retention period): the row stays as a count
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case_links: Mapped[list[CaseContact]] = relationship(back_populates="contact")


class Case(Timestamped, Base):
    """The patient being asked about; contacts link to it with a relationship.

    The diagnosis, military service and ZIP are health and personal data
    and are sealed like contact details (nothing queries them in SQL; the
    matching runs on the decrypted values).  State and time zone stay plain:
    they are coarse, and the callback queue orders by local calling time.
    """

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    diagnosis_type: Mapped[str | None] = mapped_column(Encrypted("cases.diagnosis_type"))
    stage: Mapped[str | None] = mapped_column(Encrypted("cases.stage"))
    cell_type: Mapped[str | None] = mapped_column(Encrypted("cases.cell_type"))
    veteran: Mapped[bool | None] = mapped_column(EncryptedJSON("cases.veteran"))
    diagnosed_recently: Mapped[bool | None] = mapped_column(
        EncryptedJSON("cases.diagnosed_recently")
    )
    zip: Mapped[str | None] = mapped_column(Encrypted("cases.zip"))
    state: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(40))
    # the family told us the patient died: every call and email for the case stops
    deceased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # field -> id of the contact whose word the value above is; only they may change it
    fact_sources: Mapped[dict[str, int] | None] = mapped_column(JSON)

    contact_links: Mapped[list[CaseContact]] = relationship(back_populates="case")


class CaseContact(Timestamped, Base):
    """Links a contact to a case: a spouse and a child can share one patient."""

    __tablename__ = "case_contacts"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    relation: Mapped[str] = mapped_column("relationship", String(20))

    case: Mapped[Case] = relationship(back_populates="contact_links")
    contact: Mapped[Contact] = relationship(back_populates="case_links")


class CaseFact(Base):
    """What one submission said about the patient, kept as it was said.

    The case's columns are a working summary; these rows are the record:
    each fact with who gave it and when, so a later or a stranger's
    submission never silently replaces what someone else told us.
    """

    __tablename__ = "case_facts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(20))  # guide or callback (a form or a partner's)
    request_id: Mapped[int | None] = mapped_column(Integer)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    facts: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON("case_facts.facts"))


class PossibleMatch(Base):
    """Two contacts who gave one contact point in common: maybe one person, maybe not.

    Made when a submission shares only an email or only a phone with someone
    already on file.  Advocates see it on both lead pages; linking the two
    (after speaking to them) or dismissing it is theirs to decide.
    """

    __tablename__ = "possible_matches"
    __table_args__ = (UniqueConstraint("contact_id", "other_contact_id", "shared"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )  # the newer contact
    other_contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )  # the one already on file
    shared: Mapped[str] = mapped_column(String(10))  # email or phone
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(12))  # linked, dismissed, erased
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    contact: Mapped[Contact] = relationship(foreign_keys=[contact_id])
    other: Mapped[Contact] = relationship(foreign_keys=[other_contact_id])
