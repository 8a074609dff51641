"""Validators and fields shared by the public forms, with plain-language messages.

Every message and label is marked for the catalogue (``lazy_gettext`` at
import, ``gettext`` when it carries what the person typed), so a form speaks
the language of the page it is on; WTForms' own few messages come from its
catalogue through Flask-WTF.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import has_request_context, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    ValidationError,
    widgets,
)
from wtforms.fields.choices import SelectChoice

from intake.catalogues import DEFAULT_LANGUAGE, LANGUAGES
from intake.forms import binding, wtforms_catalogue
from intake.matching import geo

TRAP_MESSAGE = _l(
    "This form could not be sent: it looked as if a program filled it in. Please try again, "
    "or call us and an advocate will take your request by phone."
)
_NAME_RE = re.compile(r"^[^\W_](?:[\w .,'’\-]*[\w.])?$", re.UNICODE)


class PublicForm(FlaskForm):
    """A public form reads only the posted text fields.

    Flask-WTF would otherwise mix uploaded files and JSON bodies into the
    form data, handing a ``FileStorage`` or an ``int`` to text validators
    (a 500). Our forms have no upload fields, so neither is ever wanted.
    """

    # The order fields appear on the page, so the error summary reads in the same order.
    page_order: tuple[str, ...] = ()

    # A trap: hidden from people (and from screen readers and the tab order), so only a
    # script that fills every field fills it.  A filled trap is refused like any bad answer,
    # with the form shown again and our phone number: never a confirmation page for a request
    # we did not keep, and a person whose browser somehow filled it is told, not dropped.
    leave_empty = StringField(_l("Leave this empty"))

    def validate(self, extra_validators: Any = None) -> bool:
        """The form's own checks, then the trap."""
        valid = bool(super().validate(extra_validators))
        if isinstance(self.leave_empty.data, str) and self.leave_empty.data.strip():
            self.form_errors.append(TRAP_MESSAGE)
            return False
        return valid

    def in_page_order(self) -> list[Field]:
        """Fields in page order (declaration order for any not listed)."""
        listed = [self[name] for name in self.page_order]
        return listed + [field for field in self if field.name not in self.page_order]

    class Meta:
        get_translations = wtforms_catalogue.get_translations

        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            return binding.bind_field(form, unbound_field, options)

        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is None or hasattr(formdata, "getlist"):  # given explicitly
                return super().wrap_formdata(form, formdata)  # type: ignore[misc]
            if has_request_context() and request.method in SUBMIT_METHODS:
                return request.form
            return None


def strip_filter(value: Any) -> Any:
    """Trim surrounding white space from text input."""
    return value.strip() if isinstance(value, str) else value


# zero-width (non-)joiners are part of correctly spelled Persian and Indic names
_JOINERS = {"\u200c", "\u200d"}


def no_control_characters(form: FlaskForm, field: Field) -> None:
    """Reject NUL bytes, line breaks and other invisible control characters."""
    value = field.data if isinstance(field.data, str) else ""
    if value.isprintable():  # no character of an "Other" category at all: the common case, fast
        return
    if any(unicodedata.category(ch) in {"Cc", "Cf"} and ch not in _JOINERS for ch in value):
        raise ValidationError(_l("Please remove line breaks and special characters."))


def known_skills(form: FlaskForm, field: Field) -> None:
    """Only skills calls are routed by (``queueing/skills.py``); any other is said at the field."""
    from intake.queueing import skills

    message = skills.problem(field.data or "", list_codes=False)
    if message:
        raise ValidationError(message)


def person_name(form: FlaskForm, field: Field) -> None:
    """Names in any alphabet, with spaces, hyphens, apostrophes and periods."""
    value = field.data or ""
    # combining marks (Devanagari vowel signs, a decomposed accent) belong to the letter before;
    # ASCII has neither marks nor joiners, so most names skip the look-up
    letters = (
        value
        if value.isascii()
        else "".join(
            ch
            for ch in value
            if not unicodedata.category(ch).startswith("M") and ch not in _JOINERS
        )
    )
    if value and (not _NAME_RE.match(letters) or unicodedata.category(value[0]).startswith("M")):
        raise ValidationError(_l("Please use letters, spaces, hyphens and apostrophes only."))


def email_address(form: FlaskForm, field: Field) -> None:
    """Real email syntax (no DNS look-up at run time); stores the normalised form."""
    if not field.data:
        return
    try:
        result = validate_email(field.data, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(_l("Please enter an email address like name@example.com.")) from None
    field.data = result.normalized.lower()


def us_phone(form: FlaskForm, field: Field) -> None:
    """A valid US phone number, kept as typed on the page and as E.164 in ``field.e164``."""
    if not field.data:
        return
    try:
        number = phonenumbers.parse(field.data, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number) or number.country_code != 1:
        raise ValidationError(
            _l("Please enter a US phone number with area code, like 212-555-0123.")
        )
    field.e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def existing_zip(form: FlaskForm, field: Field) -> None:
    """A US ZIP code that exists; stores the five-digit form."""
    if not field.data:
        return
    normalised = geo.normalize_zip(field.data)
    if not normalised:
        raise ValidationError(_l("Please enter a 5-digit ZIP code, like 10001."))
    if geo.lookup(normalised) is None:
        raise ValidationError(_l("We could not find that ZIP code. Please check it."))
    field.data = normalised


def submission_key(form: FlaskForm, field: Field) -> None:
    """The hidden per-render key that makes a double submit count once."""
    try:
        field.data = str(uuid.UUID(str(field.data or "")))
    except ValueError:
        field.data = str(uuid.uuid4())


class SubmissionKeyField(HiddenField):
    """Hidden UUID rendered with each fresh form; reused when the form is re-shown."""

    data: Any

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.data = self.data or ""

    def _value(self) -> str:
        if not self.data:
            self.data = str(uuid.uuid4())
        return str(self.data)


def page_language() -> str:
    """The language of the page being answered ("en" outside a request)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


class ShownLanguageField(HiddenField):
    """The language the form was shown in, posted back with it.

    The consent words recorded must be the ones the person read, even if the
    reply to the post is answered in another language (a cookie changed in
    another tab, a browser that keeps none after ``?lang=es``).  Rendered as
    the current page's language; read back only as a language we speak.
    """

    data: Any

    def process_formdata(self, valuelist: list[Any]) -> None:
        posted = valuelist[0] if valuelist else ""
        self.data = posted if posted in LANGUAGES else page_language()

    def _value(self) -> str:
        return page_language()


def options(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    """WTForms choices from our (value, label) vocabularies."""
    return [SelectChoice(value, label) for value, label in pairs]


def choices_with_blank(pairs: list[tuple[str, Any]], blank: Any = None) -> list[SelectChoice]:
    """Optional selects start on an empty 'Choose one' entry."""
    return options([("", blank if blank is not None else _l("Choose one")), *pairs])


class _PlainChoiceMixin:
    """A hostile or stale value gets a sentence a person understands, not 'Not a valid choice'."""

    invalid_message = _l("Please choose one of the options.")
    data: Any
    choices: Any

    def process_formdata(self, valuelist: list[Any]) -> None:
        """White space alone is no choice: ``Optional`` takes it for an empty answer and stops
        the checks, so "  " was kept and stored (a cell type the matcher refuses)."""
        super().process_formdata(valuelist)  # type: ignore[misc]
        if isinstance(self.data, str) and not self.data.strip():
            self.data = ""

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data in (None, ""):  # emptiness is DataRequired's or Optional's call
            return
        # our choices are SelectChoice lists (see ``options``): compare values without
        # building the rendered Choice objects ``iter_choices`` makes
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(self.invalid_message)


class Choice(_PlainChoiceMixin, SelectField):
    """A drop-down whose error message is plain."""


class Radios(_PlainChoiceMixin, RadioField):
    """Radio buttons whose error message is plain."""


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes for a multiple choice (guide topics)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: FlaskForm) -> None:
        allowed = {choice.value for choice in self.iter_choices()}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(_l("Please choose from the topics listed."))
