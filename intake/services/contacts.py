"""Find the person behind a submission, or create them, without duplicates."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from intake import crypto
from intake.models.contact import Case, CaseContact, Contact
from intake.services.inserts import insert_if_absent


@dataclass(frozen=True)
class Person:
    """Who wrote: names as typed, email normalised, phone in E.164."""

    first_name: str
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class CaseFacts:
    """What they told us about the patient; None or 'not_sure' means unknown."""

    relationship: str
    diagnosis_type: str | None = None
    stage: str | None = None
    cell_type: str | None = None
    veteran: bool | None = None
    diagnosed_recently: bool | None = None
    zip: str | None = None
    state: str | None = None
    timezone: str | None = None


def email_hash(email: str) -> str:
    """Look-up hash of a normalised email address."""
    return crypto.lookup_hash(email, "contact-email")


def phone_hash(phone: str) -> str:
    """Look-up hash of an E.164 phone number."""
    return crypto.lookup_hash(phone, "contact-phone")


def find_contact(session: Session, person: Person) -> Contact | None:
    """The existing contact with this email or phone; the oldest if both match different ones."""
    conditions = []
    if person.email:
        conditions.append(Contact.email_hash == email_hash(person.email))
    if person.phone:
        conditions.append(Contact.phone_hash == phone_hash(person.phone))
    if not conditions:
        return None
    query = select(Contact).where(or_(*conditions)).order_by(Contact.id).limit(1)
    return session.scalars(query).first()


def find_or_create_contact(session: Session, person: Person) -> tuple[Contact, bool]:
    """The same person when email or phone match, else a new contact; and whether it is new.

    Two submissions racing with the same email both try the insert; the
    unique hash lets one win, and the other finds the winner's row.
    """
    for _attempt in range(3):
        contact = find_contact(session, person)
        if contact is not None:
            _fill_missing(session, contact, person)
            return contact, False
        values: dict[str, object] = {"first_name": person.first_name, "last_name": person.last_name}
        if person.email:
            values.update(email=person.email, email_hash=email_hash(person.email))
        if person.phone:
            values.update(phone=person.phone, phone_hash=phone_hash(person.phone))
        created = insert_if_absent(session, Contact, values)
        if created is not None:
            return created, True
    raise RuntimeError("could not find or create the contact after concurrent inserts")


def _set_email(contact: Contact, email: str | None) -> None:
    contact.email = email
    contact.email_hash = email_hash(email) if email else None


def _set_phone(contact: Contact, phone: str | None) -> None:
    contact.phone = phone
    contact.phone_hash = phone_hash(phone) if phone else None


def _fill_missing(session: Session, contact: Contact, person: Person) -> None:
    """Keep what we knew; add an email or phone we did not have, unless another contact owns it.

    A new phone replaces the old one: it is the number the person just asked
    us to call.
    """
    if not contact.last_name and person.last_name:
        contact.last_name = person.last_name
    new_email = person.email and not contact.email
    if new_email and not _owned_elsewhere(
        session, Contact.email_hash, email_hash(person.email or ""), contact.id
    ):
        _set_email(contact, person.email)
    new_phone = person.phone and contact.phone_hash != phone_hash(person.phone)
    if new_phone and not _owned_elsewhere(
        session, Contact.phone_hash, phone_hash(person.phone or ""), contact.id
    ):
        _set_phone(contact, person.phone)


def _owned_elsewhere(
    session: Session, column: InstrumentedAttribute[str | None], value: str, contact_id: int
) -> bool:
    query = select(Contact.id).where(column == value, Contact.id != contact_id)
    return session.execute(query.limit(1)).first() is not None


def attach_case(session: Session, contact: Contact, facts: CaseFacts, new_contact: bool) -> Case:
    """The contact's most recent case, completed with any new facts; or a new one."""
    link = None
    if not new_contact:  # a contact created just now has no case yet: skip the query
        link = session.scalars(
            select(CaseContact)
            .where(CaseContact.contact_id == contact.id)
            .order_by(CaseContact.created_at.desc(), CaseContact.case_id.desc())
            .limit(1)
        ).first()
    if link is not None:
        case = link.case
        _update_case(case, facts)
        return case
    case = Case()
    _update_case(case, facts)
    case.contact_links.append(CaseContact(contact_id=contact.id, relation=facts.relationship))
    session.add(case)
    return case


def _update_case(case: Case, facts: CaseFacts) -> None:
    """Newer known facts win; 'not sure' never erases something we knew."""
    for field in ("diagnosis_type", "stage", "cell_type"):
        value = getattr(facts, field)
        if value and (value != "not_sure" or getattr(case, field) is None):
            setattr(case, field, value)
    if facts.veteran is not None:
        case.veteran = facts.veteran
    if facts.diagnosed_recently is not None:
        case.diagnosed_recently = facts.diagnosed_recently
    if facts.zip:
        case.zip, case.state, case.timezone = facts.zip, facts.state, facts.timezone
