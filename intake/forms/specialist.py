"""Admin forms for specialist listings: edit, search, CSV upload.

The edit form checks values with ``specialist_csv.parse_row``, so a listing
typed in the browser and a row in a CSV file accept exactly the same values
and get the same messages, each shown next to its field.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Regexp

from intake.matching import types as vocab
from intake.services.directory import specialist_csv
from intake.services.directory.specialist_admin import ListingFilters
from intake.vocab import US_STATES

IMPORT_ID_PATTERN = r"^[A-Za-z0-9_-]{32,64}$"
YES_NO_ANY = [SelectChoice("", "Any"), SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _labelled(values: tuple[str, ...] | list[str], labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, _first_upper(labels.get(value, value))) for value in values]


def _first_upper(text: str) -> str:
    """Sentence case that keeps abbreviations (EPP, HIPEC) as they are."""
    return text[:1].upper() + text[1:]


def _with(first_label: str, choices: list[SelectChoice]) -> list[SelectChoice]:
    """A select that starts on an empty entry ("Any", "Choose one")."""
    return [SelectChoice("", first_label), *choices]


SPECIALTY_CHOICES = _labelled(vocab.SPECIALTIES, vocab.SPECIALTY_LABELS)
CANCER_TYPE_CHOICES = _labelled(vocab.CANCER_TYPES, vocab.CANCER_TYPE_LABELS)
TREATMENT_CHOICES = _labelled(vocab.TREATMENTS, vocab.TREATMENT_LABELS)
STATE_CHOICES = [SelectChoice(state, state) for state in US_STATES]


class CheckboxGroup(SelectMultipleField):
    """Several checkboxes; values are checked by the CSV rules, not by WTForms."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, validate_choice=False, **kwargs)


class TextOnlyForm(FlaskForm):
    """Reads only posted text fields: an upload or JSON body never reaches a text validator."""

    class Meta:
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is not None and hasattr(formdata, "getlist"):
                return formdata
            if has_request_context() and request.method in {"POST", "PUT", "PATCH", "DELETE"}:
                return request.form
            return None


class SpecialistForm(TextOnlyForm):
    """Create or edit one listing; ``row`` holds the clean values once it validates."""

    listing_id = StringField("Listing ID", filters=[_strip])
    npi = StringField("NPI", filters=[_strip])
    first_name = StringField("First name", filters=[_strip])
    last_name = StringField("Last name", filters=[_strip])
    credentials = StringField("Credentials", filters=[_strip])
    specialty = SelectField(
        "Specialty", choices=_with("Choose one", SPECIALTY_CHOICES), validate_choice=False
    )
    institution = StringField("Institution", filters=[_strip])
    address = StringField("Street address", filters=[_strip])
    city = StringField("City", filters=[_strip])
    state = SelectField("State", choices=_with("Choose one", STATE_CHOICES), validate_choice=False)
    zip = StringField("ZIP code", filters=[_strip])
    cancer_types = CheckboxGroup("Mesothelioma types treated", choices=CANCER_TYPE_CHOICES)
    treatments = CheckboxGroup("Treatments offered", choices=TREATMENT_CHOICES)
    languages = StringField("Languages", filters=[_strip], default="en")
    accepts_va = BooleanField("Accepts VA benefits")
    accepting_new_patients = BooleanField("Accepting new patients", default=True)
    telehealth = BooleanField("Offers telehealth")
    active = BooleanField("Active (shown in matches)", default=True)
    phone = StringField("Phone", filters=[_strip])
    email = StringField("Email", filters=[_strip])
    website = StringField("Website", filters=[_strip])

    row: dict[str, Any]

    def validate(self, extra_validators: Any = None) -> bool:
        """Run the CSV row rules and put each problem on its field."""
        valid = super().validate(extra_validators)
        self.row, problems = specialist_csv.parse_row(self.as_csv_row(), line=0)
        for problem in problems:
            field = self._fields.get(problem.column)
            if field is None:
                self.form_errors.append(problem.message)
            else:
                field.errors.append(_sentence(str(field.label.text), problem.message))
        return valid and not problems

    def as_csv_row(self) -> dict[str, str]:
        """The submitted values spelled as a CSV row would spell them."""
        raw: dict[str, str] = {}
        for name in specialist_csv.COLUMNS:
            value = self._fields[name].data
            if isinstance(value, bool):
                raw[name] = "yes" if value else "no"
            elif isinstance(value, list):
                raw[name] = ";".join(str(item) for item in value)
            else:
                raw[name] = "" if value is None else str(value)
        return raw


def form_values(row: dict[str, Any]) -> dict[str, Any]:
    """A stored listing (``specialists.as_row``) as the edit form's initial data."""
    values = {name: row.get(name) for name in specialist_csv.COLUMNS}
    values["languages"] = ";".join(row.get("languages") or [])
    return {name: ("" if value is None else value) for name, value in values.items()}


def _sentence(label: str, message: str) -> str:
    """'is required' becomes 'First name is required'; other messages name their field."""
    if message.lower().startswith(label.lower()):
        return message
    if message.startswith(("is ", "must ", "contains ", "check digit")):
        return f"{label} {message}"
    return f"{label}: {message}"


class SpecialistSearchForm(FlaskForm):
    """The list page's search box and filters, read from the query string."""

    class Meta:
        csrf = False

    q = StringField("Search", filters=[_strip])
    state = SelectField("State", choices=_with("Any", STATE_CHOICES))
    cancer_type = SelectField("Mesothelioma type", choices=_with("Any", CANCER_TYPE_CHOICES))
    specialty = SelectField("Specialty", choices=_with("Any", SPECIALTY_CHOICES))
    active = SelectField("Active", choices=YES_NO_ANY)
    accepting = SelectField("New patients", choices=YES_NO_ANY)

    def to_filters(self) -> ListingFilters:
        """The filters to apply; a value that is not one of the choices filters nothing."""
        self.validate()
        picked = {name: ("" if self[name].errors else self[name].data or "") for name in self.data}
        return ListingFilters(
            q=(self.q.data or "")[:100],
            state=picked["state"],
            cancer_type=picked["cancer_type"],
            specialty=picked["specialty"],
            active={"yes": True, "no": False}.get(picked["active"]),
            accepting={"yes": True, "no": False}.get(picked["accepting"]),
        )


class ImportForm(FlaskForm):
    """Step one of an import: the CSV file to check."""

    csv_file = FileField(
        "CSV file",
        validators=[
            FileRequired("Choose a CSV file to check."),
            FileAllowed(["csv", "txt"], "Choose a .csv file."),
        ],
    )


class ConfirmImportForm(TextOnlyForm):
    """Step two: import the file that was checked, named by its random id."""

    upload_id = HiddenField(validators=[InputRequired(), Regexp(IMPORT_ID_PATTERN)])


class ActionForm(TextOnlyForm):
    """A button that changes something: the CSRF token and the page to come back to."""

    next = HiddenField()
