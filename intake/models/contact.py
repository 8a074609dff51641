"""A person who wrote to us, and the patient case they wrote about."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.models.base import Base, Encrypted, EncryptedJSON, Timestamped, UTCDateTime


class Contact(Timestamped, Base):
    """One person; every request they send attaches here.

    Names, email and phone are sealed; ``email_hash`` and ``phone_hash`` are
    keyed hashes of the normalised values, unique, so the same person sending
    the same email or phone twice is found instead of duplicated.
    """

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(Encrypted("contacts.first_name"))
    last_name: Mapped[str | None] = mapped_column(Encrypted("contacts.last_name"))
    email: Mapped[str | None] = mapped_column(Encrypted("contacts.email"))
    email_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(Encrypted("contacts.phone"))
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
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
