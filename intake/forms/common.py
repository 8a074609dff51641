"""What the public forms share: who is writing, and what they know about the patient."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from intake import vocab
from intake.forms.fields import (
    Choice,
    Radios,
    ShownLanguageField,
    SubmissionKeyField,
    choices_with_blank,
    no_control_characters,
    options,
    person_name,
    strip_filter,
    submission_key,
)
from intake.matching import geo
from intake.services.people.contacts import CaseFacts

# Trimmed before the validators run: a required text field takes DataRequired, which sees the
# trimmed value (InputRequired looks at the raw text, and "   " passed it as an answer).
TEXT = [strip_filter]


class PatientFactsMixin:
    """Diagnosis questions both public forms ask, all optional."""

    diagnosis_type = Choice(
        _l("Type of mesothelioma"),
        choices=choices_with_blank(vocab.DIAGNOSIS_TYPES, _l("Choose if known")),
        validators=[Optional()],
    )
    stage = Choice(
        _l("Stage"),
        choices=choices_with_blank(vocab.STAGES, _l("Choose if known")),
        validators=[Optional()],
    )
    veteran = Radios(
        _l("Did the patient serve in the US military?"),
        choices=options(vocab.VETERAN),
        validators=[Optional()],
    )


def case_facts(form: Any, zip_code: str | None) -> CaseFacts:
    """The patient facts of either public form, with state and time zone from the ZIP."""
    point = geo.lookup(zip_code) if zip_code else None
    veteran = {"yes": True, "no": False}.get(form.veteran.data or "")
    cell_type = getattr(form, "cell_type", None)
    diagnosed = getattr(form, "diagnosed", None)
    recent = {"recent": True, "earlier": False}.get(diagnosed.data or "") if diagnosed else None
    return CaseFacts(
        relationship=form.relationship.data,
        diagnosis_type=form.diagnosis_type.data or None,
        stage=form.stage.data or None,
        cell_type=(cell_type.data or None) if cell_type is not None else None,
        diagnosed_recently=recent,
        veteran=veteran,
        zip=point.zip if point else None,
        state=point.state if point else None,
        timezone=point.timezone if point else None,
    )


class PersonNameMixin:
    """The double-submit key, the page's language and the writer's name, on every public form."""

    submission_key = SubmissionKeyField(validators=[submission_key])
    shown_in = ShownLanguageField()
    first_name = StringField(
        _l("First name"),
        filters=TEXT,
        validators=[
            DataRequired(_l("Please enter your first name.")),
            Length(max=80),
            no_control_characters,
            person_name,
        ],
    )
    last_name = StringField(
        _l("Last name (optional)"),
        filters=TEXT,
        validators=[Optional(), Length(max=80), no_control_characters, person_name],
    )
