"""The reference a person is given for a request, and the contact an advocate finds by it.

Shown on the thank-you page ("your reference: 1042-K7QMX"), so a person on
the phone can read it out and an advocate can link that request to the case
they are working.  It is the inbox row's id with a keyed check: ids alone
could be counted through, and linking must never be a way to look people up.
A wrong, mistyped or unprocessed reference finds nobody, the same answer as
a person who was not offered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models.callback import CallbackRequest
from intake.models.contact import Contact
from intake.models.request import GuideRequest
from intake.models.submission import Submission

_CHECK_LENGTH = 5
_SHAPE = re.compile(r"^\s*(\d{1,12})\s*-\s*([A-Za-z2-7]{5})\s*$")
_FORMS = ("guide", "callback")


def _check(submission_id: int) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"reference:{submission_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:_CHECK_LENGTH]


def reference_for(submission_id: int) -> str:
    """The reference printed for one received form."""
    return f"{submission_id}-{_check(submission_id)}"


def contact_for(session: Session, text: str) -> Contact | None:
    """The contact whose request this reference names; None for anything else."""
    shape = _SHAPE.match(text or "")
    if shape is None:
        return None
    submission_id, check = int(shape.group(1)), shape.group(2).upper()
    if not hmac.compare_digest(check, _check(submission_id)):
        return None
    row = session.get(Submission, submission_id)
    if row is None or row.request_id is None or row.form not in _FORMS:
        return None
    owner = GuideRequest.contact_id if row.form == "guide" else CallbackRequest.contact_id
    request_model = owner.class_
    contact_id = session.scalar(select(owner).where(request_model.id == row.request_id))
    contact = session.get(Contact, contact_id) if contact_id is not None else None
    if contact is None or contact.erased_at is not None:
        return None
    return contact
