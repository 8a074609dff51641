"""The 'speak to a patient advocate' callback form."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, StringField, TelField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from intake import vocab
from intake.forms.common import TEXT, PatientFactsMixin, PersonNameMixin, case_facts
from intake.forms.fields import (
    Choice,
    PublicForm,
    Radios,
    email_address,
    existing_zip,
    no_control_characters,
    options,
    page_language,
    strip_filter,
    us_phone,
)
from intake.services.inbox.leads import CallbackSubmission
from intake.services.people.contacts import Person

CHOOSE_TIME = _l("Please choose a time.")
CHOOSE_LANGUAGE = _l("Please choose a language.")


class CallbackForm(PersonNameMixin, PatientFactsMixin, PublicForm):
    """Everything an advocate needs to call back at a good time, with explicit consent."""

    page_order = (
        "first_name", "last_name", "phone", "email", "zip", "best_time", "language",
        "relationship", "diagnosis_type", "stage", "diagnosed", "veteran", "consent_calls",
        "email_fallback",
    )  # fmt: skip

    phone = TelField(
        _l("Phone number"),
        filters=TEXT,
        validators=[
            DataRequired(_l("Please enter the phone number we should call.")),
            Length(max=30),
            no_control_characters,
            us_phone,
        ],
    )
    email = EmailField(
        _l("Email address (optional)"),
        filters=TEXT,
        validators=[Optional(), Length(max=254), no_control_characters, email_address],
    )
    relationship = Radios(
        _l("Who is the patient?"),
        choices=options(vocab.RELATIONSHIPS),
        validators=[DataRequired(_l("Please tell us who the patient is."))],
    )
    zip = StringField(
        _l("Your ZIP code"),
        filters=[strip_filter],
        description=_l("We use it to call at a good time where you live."),
        validators=[DataRequired(_l("Please enter your ZIP code.")), Length(max=10), existing_zip],
    )
    # with a default, a field left out is filled in: InputRequired refuses it missing, and
    # DataRequired refuses white space (which the choice fields read as no choice)
    best_time = Radios(
        _l("Best time to call"),
        choices=options(vocab.BEST_TIMES),
        default="asap",
        validators=[InputRequired(CHOOSE_TIME), DataRequired(CHOOSE_TIME)],
    )
    language = Choice(
        _l("Preferred language"),
        choices=options(vocab.LANGUAGES),
        default=page_language,  # someone asking on the Spanish page is called in Spanish
        validators=[InputRequired(CHOOSE_LANGUAGE), DataRequired(CHOOSE_LANGUAGE)],
    )
    diagnosed = Radios(
        _l("When was the diagnosis?"),
        choices=options(vocab.DIAGNOSED),
        validators=[Optional()],
    )
    consent_calls = BooleanField(  # DataRequired: a posted "false" is not a tick
        validators=[DataRequired(_l("Please tick the box so we are allowed to call you."))]
    )
    email_fallback = BooleanField(default=False)

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then: an email fallback needs an email address to fall back to."""
        valid = super().validate(extra_validators)
        if self.email_fallback.data and not self.email.data and not self.email.errors:
            self.email_fallback.errors = [
                _("Please enter your email address above, or untick this box.")
            ]
        return valid and not self.errors

    def to_submission(self) -> CallbackSubmission:
        """The validated form as the service's input."""
        return CallbackSubmission(
            submission_key=self.submission_key.data,
            person=Person(
                first_name=self.first_name.data,
                last_name=self.last_name.data or None,
                email=self.email.data or None,
                phone=self.phone.e164,  # type: ignore[attr-defined]
            ),
            case=case_facts(self, self.zip.data),
            best_time=self.best_time.data,
            language=self.language.data,
            email_fallback=bool(self.email_fallback.data and self.email.data),
        )
