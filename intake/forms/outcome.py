"""Advocate console forms: a call's outcome, linking a household member, queue settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from intake import vocab
from intake.forms.auth import SKILLS_HINT
from intake.forms.fields import (
    known_skills,
    no_control_characters,
    options,
    strip_filter,
)
from intake.services.queue.outcomes import NEXT_STEPS, OUTCOMES


class OutcomeForm(FlaskForm):
    """What happened on the call; a time to call back is typed in the patient's local time."""

    outcome = RadioField(
        "What happened?",
        choices=options(list(OUTCOMES.items())),
        validators=[InputRequired("Choose what happened on the call.")],
    )
    next_step = RadioField(
        "Next step", choices=options(list(NEXT_STEPS.items())), validators=[Optional()]
    )
    scheduled_for = DateTimeLocalField(
        "Call back at (their local time)", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    note = TextAreaField(
        "Note for the next advocate",
        filters=[strip_filter],
        validators=[Optional(), Length(max=2000)],
    )

    def scheduled_utc(self, zone_name: str | None) -> datetime | None:
        """The call-back time as an instant, read in the patient's zone (Eastern if unknown)."""
        value = self.scheduled_for.data
        if value is None:
            return None
        zone = ZoneInfo(zone_name or "America/New_York")
        return value.replace(tzinfo=zone)


class HouseholdForm(FlaskForm):
    """Link someone to this patient: a possible same person the page offers, or the
    reference from their own thank-you page, read out on the call.

    Never a phone or an email: a search by those would tell an advocate who
    else is on file, which is not theirs to know until the person says so.
    """

    person = RadioField("Who", choices=[], validate_choice=False, validators=[Optional()])
    reference = StringField(
        "or the reference they read out to you",
        filters=[strip_filter],
        validators=[Optional(), Length(max=40), no_control_characters],
    )
    relationship = RadioField(
        "Their relationship to the patient",
        choices=options(vocab.RELATIONSHIPS),
        validators=[InputRequired("Choose how they are related to the patient.")],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """One person or one reference is needed."""
        valid = super().validate(extra_validators)
        if not self.person.data and not self.reference.data and not self.reference.errors:
            self.reference.errors = ["Choose a person above or enter their reference."]
            return False
        return valid


class QueueSettingsForm(FlaskForm):
    """An advocate's skills and shifts (the minimal admin page; the staff console comes later)."""

    skills = StringField(
        "Skills",
        filters=[strip_filter],
        description=SKILLS_HINT,
        validators=[Optional(), Length(max=100), no_control_characters, known_skills],
    )
    timezone = StringField(
        "Their time zone",
        filters=[strip_filter],
        description="e.g. America/New_York, America/Chicago, America/Los_Angeles",
        validators=[InputRequired("Enter a time zone."), Length(max=40)],
    )
    shifts = TextAreaField(
        "Shifts",
        filters=[strip_filter],
        description="One a line: days and hours, e.g. Mon-Fri 09:00-17:30 or Sat 10:00-14:00",
        validators=[Optional(), Length(max=1000)],
    )
