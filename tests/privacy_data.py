"""A person with data in every table that can hold it, and a search of everything we store.

The values are canaries: found nowhere else, so a search of the whole
database (sealed columns opened) finds them exactly where that person's
data is, and nowhere once it has been erased.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from intake.matching import geo
from intake.models import CallAttempt, CallbackRequest, Contact, QueueItem
from intake.services.directory import match_query
from intake.services.inbox import callbacks
from intake.services.people.contacts import email_hash

# ZIPs no demo listing has, so each is its patient's alone (Kalispell MT, Bar Harbor ME)
ZIPS = ("59901", "04609")


def _word(rng: random.Random, n: int = 7) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


@dataclass(frozen=True)
class Canary:
    """One person's values, each found nowhere else."""

    first: str
    last: str
    street: str
    email: str
    phone: str  # as typed on the form
    e164: str
    note: str  # what an advocate wrote after a call
    zip: str = ZIPS[0]

    @classmethod
    def make(cls, seed: int | None = None, zip_code: str = ZIPS[0]) -> Canary:
        rng = random.Random(seed)
        digits = f"{rng.randint(0, 99):02d}"
        first, street = "Qx" + _word(rng), "Wv" + _word(rng)
        return cls(
            first=first,
            last="Zy" + _word(rng),
            street=street,
            email=f"canary.{_word(rng, 10)}@example.com",
            phone=f"(406) 555-01{digits}",
            e164=f"+140655501{digits}",
            note=f"Nv{_word(rng)} said {first} is at {street} most mornings",
            zip=zip_code,
        )

    @property
    def values(self) -> list[str]:
        """What must be gone after erasure (the ZIP is checked as a whole word)."""
        return [self.first, self.last, self.street, self.email, self.e164, self.note, self.zip]

    def guide_form(self) -> dict[str, Any]:
        place = geo.lookup(self.zip)
        assert place is not None
        return {
            "first_name": self.first, "last_name": self.last, "email": self.email,
            "relationship": "self", "diagnosis_type": "pleural", "stage": "4", "veteran": "yes",
            "zip": self.zip, "topics": ["treatment", "va_benefits"], "deliver_email": "y",
            "followup_emails": "y", "deliver_mail": "y", "address_line1": f"12 {self.street} Road",
            "city": place.city, "state": place.state, "postal_zip": self.zip,
        }  # fmt: skip

    def callback_form(self) -> dict[str, Any]:
        return {
            "first_name": self.first, "last_name": self.last, "phone": self.phone,
            "email": self.email, "relationship": "self", "diagnosis_type": "pleural", "stage": "4",
            "zip": self.zip, "veteran": "yes", "best_time": "asap", "language": "en",
            "consent_calls": "y", "email_fallback": "y",
        }  # fmt: skip


def queue_and_call(session: Any, canary: Canary) -> QueueItem:
    """The person's callback queued, one call made with a note, and the case's matches stored."""
    contact = session.scalars(  # the contact who gave the phone too (the guide form asks none)
        select(Contact).where(
            Contact.email_hash == email_hash(canary.email), Contact.phone_hash.is_not(None)
        )
    ).one()
    request = session.scalars(
        select(CallbackRequest).where(CallbackRequest.contact_id == contact.id)
    ).one()
    if request.status == "received":
        callbacks.queue_callback(session, request.id)
    item = session.scalars(select(QueueItem).where(QueueItem.contact_id == contact.id)).one()
    session.add(
        CallAttempt(
            queue_item_id=item.id, phone_hash=item.phone_hash, outcome="no_answer",
            note=canary.note,
        )
    )  # fmt: skip
    match_query.record_case_matches(session, request.case_id)
    session.flush()
    return item


def everything(session: Any) -> str:
    """Every value in every table, sealed columns opened by their types, as one text."""
    from intake.extensions import db

    values: list[str] = []
    for table in db.metadata.sorted_tables:
        for row in session.execute(select(table)):
            values.extend(str(value) for value in row)
    return "\n".join(values)


def found(text: str, canary: Canary) -> list[str]:
    """The canary values that occur in ``text`` (whole words, any case)."""
    return [
        value
        for value in canary.values
        if re.search(rf"(?<![\w.]){re.escape(value)}(?![\w])", text, re.IGNORECASE)
    ]
