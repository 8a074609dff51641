"""Find the person behind a submission, or create them, without trusting what the form says.

Nothing on a public form is verified.  A submission joins a contact on file
only on strong evidence (the same email *and* the same phone; a double click
is caught earlier, by its submission key); sharing one point makes a new
contact marked as a possible same person.  A submission never changes or
removes a point or a fact someone else gave: it records its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from intake import crypto
from intake.models.base import utcnow
from intake.models.contact import Case, CaseContact, CaseFact, Contact, PossibleMatch
from intake.services.people.inserts import insert_all_if_absent, insert_if_absent


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
    """The contact this person already is: the same email *and* the same phone, not erased.

    One shared point is not identity (anyone can type a patient's email or
    phone): see ``possible_matches_for``.
    """
    if not (person.email and person.phone):
        return None
    query = select(Contact).where(
        Contact.email_hash == email_hash(person.email),
        Contact.phone_hash == phone_hash(person.phone),
        Contact.erased_at.is_(None),
    )
    return session.scalars(query.limit(1)).first()


def find_or_create_contact(session: Session, person: Person) -> tuple[Contact, bool]:
    """The same person on strong evidence (email and phone both match), else a new contact;
    and whether it is new.

    A submission never changes another contact's points: a new contact that
    shares only its email or only its phone with people on file is marked as
    a possible same person for an advocate to judge.  Two submissions racing
    with the same email and phone both try the insert; the unique pair lets
    one win, and the other finds the winner's row.
    """
    for _attempt in range(3):
        contact = find_contact(session, person)
        if contact is not None:
            if not contact.last_name and person.last_name:
                contact.last_name = person.last_name  # a blank filled, nothing replaced
            return contact, False
        created = insert_if_absent(session, Contact, new_contact_values(person))
        if created is not None:
            mark_possible_matches(session, [(created.id, created.email_hash, created.phone_hash)])
            return created, True
    raise RuntimeError("could not find or create the contact after concurrent inserts")


def new_contact_values(person: Person) -> dict[str, Any]:
    """The columns of a new contact for this person (sealed by the column types)."""
    values: dict[str, Any] = {"first_name": person.first_name, "last_name": person.last_name}
    values.update(dict.fromkeys(("email", "email_hash", "phone", "phone_hash")))
    if person.email:
        values.update(email=person.email, email_hash=email_hash(person.email))
    if person.phone:
        values.update(phone=person.phone, phone_hash=phone_hash(person.phone))
    return values


MAX_MARKS_PER_POINT = 10  # a number typed by hundreds (a clinic's) marks the latest few

NewContact = tuple[int, str | None, str | None]  # id, email hash, phone hash


def mark_possible_matches(session: Session, created: list[NewContact]) -> None:
    """Mark each contact on file who shares a new contact's email or phone (not both: that
    joins): the latest ``MAX_MARKS_PER_POINT`` per point, found with one query for them all."""
    emails = {digest for _id, digest, _phone in created if digest}
    phones = {digest for _id, _email, digest in created if digest}
    shared = or_(Contact.email_hash.in_(emails), Contact.phone_hash.in_(phones))
    others = session.execute(
        select(Contact.id, Contact.email_hash, Contact.phone_hash)
        .where(shared, Contact.erased_at.is_(None))
        .order_by(Contact.id.desc())
    ).all()
    marks = []
    for contact_id, email, phone in created:
        for point, digest, index in (("email", email, 1), ("phone", phone, 2)):
            if digest is None:
                continue
            same = [row.id for row in others if row[index] == digest and row.id != contact_id]
            marks += [{"contact_id": contact_id, "other_contact_id": other_id, "shared": point}
                      for other_id in same[:MAX_MARKS_PER_POINT]]  # fmt: skip
    if marks:
        insert_all_if_absent(session, PossibleMatch, marks)


def possible_matches_for(session: Session, contact_ids: list[int]) -> list[PossibleMatch]:
    """Every mark that names one of these contacts, either way round, oldest first."""
    if not contact_ids:
        return []
    query = select(PossibleMatch).where(
        or_(
            PossibleMatch.contact_id.in_(contact_ids),
            PossibleMatch.other_contact_id.in_(contact_ids),
        )
    )
    return list(session.scalars(query.order_by(PossibleMatch.id)))


def attach_case(session: Session, contact: Contact, facts: CaseFacts, new_contact: bool) -> Case:
    """The contact's most recent case, completed with the facts this contact may give; or a
    new one."""
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
        _update_case(case, facts, contact.id)
        return case
    case = Case()
    _update_case(case, facts, contact.id)
    case.contact_links.append(CaseContact(contact_id=contact.id, relation=facts.relationship))
    session.add(case)
    return case


def record_facts(
    session: Session, case: Case, contact: Contact, source: str, request_id: int, facts: CaseFacts
) -> CaseFact:
    """Keep what this submission said about the patient, with who said it and when."""
    row = CaseFact(**fact_values(case.id, contact.id, source, request_id, facts))
    session.add(row)
    return row


def fact_values(
    case_id: int, contact_id: int, source: str, request_id: int, facts: CaseFacts
) -> dict[str, Any]:
    """The ``case_facts`` row of one submission, as column values (``record_facts``'s, or a
    batch's)."""
    given = {k: v for k, v in asdict(facts).items() if v is not None and k != "timezone"}
    return {"case_id": case_id, "contact_id": contact_id, "source": source,
            "request_id": request_id, "given_at": utcnow(), "facts": given}  # fmt: skip


def new_case_values(facts: CaseFacts, contact_id: int) -> dict[str, Any]:
    """The columns of a new case that only this contact's facts fill (``attach_case`` for a
    contact created just now, as plain values for a batch's one INSERT)."""
    case = SimpleNamespace(**dict.fromkeys(_CASE_COLUMNS))
    _update_case(case, facts, contact_id)  # type: ignore[arg-type]
    return vars(case)


_CASE_FIELDS = ("diagnosis_type", "stage", "cell_type", "veteran", "diagnosed_recently", "zip")
_CASE_COLUMNS = (*_CASE_FIELDS, "state", "timezone", "fact_sources")


def _known(field: str, value: object) -> bool:
    if field in ("veteran", "diagnosed_recently"):
        return value is not None
    return bool(value) and value != "not_sure"


def _update_case(case: Case, facts: CaseFacts, contact_id: int) -> None:
    """Fill what the case does not know; change a known fact only for the contact who gave it.

    So a newer stage from the same person wins, "not sure" never erases a
    fact, and someone else's word is recorded (``record_facts``) without
    replacing theirs.
    """
    sources = dict(case.fact_sources or {})
    for field in _CASE_FIELDS:
        value = getattr(facts, field)
        current = getattr(case, field)
        if not _known(field, value):
            if value == "not_sure" and current is None:
                setattr(case, field, value)  # "not sure" is more than nothing
            continue
        if _known(field, current) and sources.get(field) != contact_id:
            continue
        if field == "zip":
            case.state, case.timezone = facts.state, facts.timezone
        setattr(case, field, value)
        sources[field] = contact_id
    case.fact_sources = sources
