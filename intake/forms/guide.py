"""The free guide request form."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Length, Optional

from intake import vocab
from intake.forms.common import TEXT, PatientFactsMixin, PersonNameMixin, case_facts
from intake.forms.fields import (
    Choice,
    MultiCheckboxField,
    PublicForm,
    Radios,
    choices_with_blank,
    email_address,
    existing_zip,
    no_control_characters,
    options,
    page_language,
)
from intake.matching import geo
from intake.services.inbox.leads import GuideSubmission
from intake.services.people.contacts import Person


class GuideForm(PersonNameMixin, PatientFactsMixin, PublicForm):
    """Who wants the guide, which topics, and how to deliver it."""

    page_order = (
        "first_name", "last_name", "email", "relationship", "diagnosis_type", "stage",
        "cell_type", "veteran", "zip", "topics", "language", "deliver_email", "address_line1",
        "address_line2", "city", "state", "postal_zip", "followup_emails",
    )  # fmt: skip

    email = EmailField(
        _l("Email address"),
        filters=TEXT,
        validators=[Optional(), Length(max=254), no_control_characters, email_address],
    )
    relationship = Radios(
        _l("Who is the guide for?"),
        choices=options(vocab.RELATIONSHIPS),
        validators=[DataRequired(_l("Please tell us who the guide is for."))],
    )
    cell_type = Choice(
        _l("Cell type"),
        choices=choices_with_blank(vocab.CELL_TYPES, _l("Choose if known")),
        validators=[Optional()],
    )
    zip = StringField(
        _l("The patient's ZIP code"),
        filters=TEXT,
        validators=[Optional(), Length(max=10), existing_zip],
    )
    language = Radios(
        _l("Language of the guide"),
        choices=options(vocab.GUIDE_LANGUAGES),
        default=page_language,  # a request made on the Spanish page wants the Spanish guide
        validators=[Optional()],
    )
    topics = MultiCheckboxField(
        _l("Topics to include"),
        choices=options(vocab.GUIDE_TOPICS),
        default=[value for value, _ in vocab.GUIDE_TOPICS],
    )
    deliver_email = BooleanField(_l("Email me the guide as a PDF"), default=True)
    deliver_mail = BooleanField(_l("Also mail me a printed copy"))
    address_line1 = StringField(
        _l("Street address"),
        filters=TEXT,
        validators=[Optional(), Length(max=120), no_control_characters],
    )
    address_line2 = StringField(
        _l("Apartment, suite, etc. (optional)"),
        filters=TEXT,
        validators=[Optional(), Length(max=120), no_control_characters],
    )
    city = StringField(
        _l("City"), filters=TEXT, validators=[Optional(), Length(max=80), no_control_characters]
    )
    state = Choice(
        _l("State"),
        choices=choices_with_blank([(s, s) for s in vocab.US_STATES], _l("Choose")),
        validators=[Optional()],
    )
    postal_zip = StringField(
        _l("ZIP code"), filters=TEXT, validators=[Optional(), Length(max=10), existing_zip]
    )
    followup_emails = BooleanField(_l("Also email me follow-up information"), default=False)

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then the rules that tie fields together."""
        valid = super().validate(extra_validators)
        if not self.topics.errors and not self.topics.data:
            self.topics.errors.append(_("Please choose at least one topic."))
        if not self.deliver_email.data and not self.deliver_mail.data:
            self.deliver_email.errors.append(_("Please choose email, mail, or both."))
        if self.deliver_email.data and not self.email.data and not self.email.errors:
            self.email.errors.append(_("Please enter your email address so we can send the PDF."))
        if self.deliver_mail.data:
            self._require_address()
            self._check_zip_in_state()
        return valid and not self.errors

    def _check_zip_in_state(self) -> None:
        """A mailing ZIP must belong to the state chosen (Miami's 33101 is not in CA)."""
        if self.postal_zip.errors or self.state.errors or not self.postal_zip.data:
            return
        point = geo.lookup(self.postal_zip.data)
        if point is not None and self.state.data and point.state != self.state.data:
            self.postal_zip.errors.append(
                _(
                    "ZIP code %(zip)s is in %(found)s, not %(chosen)s. "
                    "Please check the ZIP code or the state.",
                    zip=self.postal_zip.data,
                    found=point.state,
                    chosen=self.state.data,
                )
            )

    def _require_address(self) -> None:
        for field, message in (
            (self.address_line1, _("Please enter the street address for the printed copy.")),
            (self.city, _("Please enter the city.")),
            (self.state, _("Please choose the state.")),
            (self.postal_zip, _("Please enter the ZIP code.")),
        ):
            if not field.data and not field.errors:
                field.errors.append(message)

    def postal_address(self) -> dict[str, Any] | None:
        """The mailing address as stored (sealed) on the request."""
        if not self.deliver_mail.data:
            return None
        return {
            "line1": self.address_line1.data,
            "line2": self.address_line2.data or "",
            "city": self.city.data,
            "state": self.state.data,
            "zip": self.postal_zip.data,
        }

    def to_submission(self) -> GuideSubmission:
        """The validated form as the service's input."""
        return GuideSubmission(
            submission_key=self.submission_key.data,
            person=Person(
                first_name=self.first_name.data,
                last_name=self.last_name.data or None,
                email=self.email.data or None,
            ),
            case=case_facts(self, self.zip.data or None),
            topics=list(self.topics.data),
            deliver_email=bool(self.deliver_email.data),
            deliver_mail=bool(self.deliver_mail.data),
            postal_address=self.postal_address(),
            followup_emails=bool(self.followup_emails.data and self.email.data),
            language=self.language.data or "en",
        )
