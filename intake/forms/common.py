"""What the public forms share: who is writing, and what they know about the patient."""

from __future__ import annotations

from typing import Any

from wtforms import StringField
from wtforms.validators import InputRequired, Length, Optional

from intake import vocab
from intake.forms.fields import (
    Choice,
    Radios,
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

TEXT = [strip_filter]


class PatientFactsMixin:
    """Diagnosis questions both public forms ask, all optional."""

    diagnosis_type = Choice(
        "Type of mesothelioma",
        choices=choices_with_blank(vocab.DIAGNOSIS_TYPES, "Choose if known"),
        validators=[Optional()],
    )
    stage = Choice(
        "Stage",
        choices=choices_with_blank(vocab.STAGES, "Choose if known"),
        validators=[Optional()],
    )
    veteran = Radios(
        "Did the patient serve in the US military?",
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
    """The double-submit key and the writer's name, asked the same way on every public form."""

    submission_key = SubmissionKeyField(validators=[submission_key])
    first_name = StringField(
        "First name",
        filters=TEXT,
        validators=[
            InputRequired("Please enter your first name."),
            Length(max=80),
            no_control_characters,
            person_name,
        ],
    )
    last_name = StringField(
        "Last name (optional)",
        filters=TEXT,
        validators=[Optional(), Length(max=80), no_control_characters, person_name],
    )
