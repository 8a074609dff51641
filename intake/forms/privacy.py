"""The public "delete my information" form, and the admins' person search."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length, Optional

from intake.forms.common import TEXT
from intake.forms.fields import PublicForm, email_address, no_control_characters, us_phone


class DeletionRequestForm(PublicForm):
    """The email address we should look for; ``website`` is a trap only robots fill in."""

    email = EmailField(
        _l("Your email address"),
        filters=TEXT,
        validators=[
            DataRequired(_l("Please enter the email address you gave us.")),
            Length(max=254, message=_l("That is longer than any email address we hold.")),
            no_control_characters,
            email_address,
        ],
    )
    # hidden from people (and from screen readers) by the page: a filled-in value is a robot
    website = StringField(_l("Leave this empty"), filters=TEXT, validators=[Optional()])

    @property
    def is_robot(self) -> bool:
        """A person never sees the trap field, so anything in it came from a script."""
        return bool(self.website.data)


def is_contact_number(value: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes "²" and "①", which ``int`` refuses."""
    return value.isascii() and value.isdigit()


class PersonSearchForm(FlaskForm):
    """Find one contact by email, phone or id, for an admin acting on their request."""

    email = EmailField(
        "Email address",
        filters=TEXT,
        validators=[Optional(), Length(max=254), no_control_characters, email_address],
    )
    phone = StringField(
        "Phone number",
        filters=TEXT,
        validators=[Optional(), Length(max=30), no_control_characters, us_phone],
    )
    contact_id = StringField(
        "Contact number", filters=TEXT, validators=[Optional(), Length(max=12)]
    )

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """At least one of the three, and the number made of digits."""
        if not super().validate(extra_validators):
            return False
        if self.contact_id.data and not is_contact_number(self.contact_id.data):
            self.contact_id.errors = ["A contact number is digits only."]
            return False
        if not (self.email.data or self.phone.data or self.contact_id.data):
            self.email.errors = ["Enter an email address, a phone number or a contact number."]
            return False
        return True
