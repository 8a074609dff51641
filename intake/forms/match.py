"""The 'find a specialist' search: the page's GET form, and the API's and CLI's parameters.

Both check the shape of input only (the ZIP against the bundled ZIP list); the
service ranks.  The form speaks to patients; the parameter parser names the
parameter and its accepted values for programs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional

from intake import vocab
from intake.forms.fields import Choice, Radios, existing_zip, options, strip_filter
from intake.matching import geo
from intake.matching.rules import MAX_LIMIT
from intake.matching.types import (
    CANCER_TYPE_CHOICES,
    CELL_TYPE_CHOICES,
    DEFAULT_NEED,
    LANGUAGE_LABELS,
    NEEDS,
    NOT_SURE,
    STAGE_CHOICES,
    MatchQuery,
    QueryError,
)

LANGUAGE_CHOICES = vocab.LANGUAGES
DISTANCES = (25, 50, 100, 250, 500)
DISTANCE_CHOICES = [("", _l("Any distance"))] + [
    (str(d), _l("Up to %(miles)s miles", miles=d)) for d in DISTANCES
]
VETERAN_CHOICES = [("yes", _l("Yes")), ("no", _l("No"))]
# Asked for one more than we show, to know honestly whether there are more.
PAGE_LIMIT = 20


class DiagnosisRadios(Radios):
    """Diagnosis radios whose message for a made-up value says what to choose."""

    invalid_message = _l("Please choose the type of mesothelioma, or 'Not sure yet'.")


class MatchForm(FlaskForm):
    """What the match engine needs, asked in plain words; every answer but two is optional."""

    class Meta:
        csrf = False  # a search changes nothing, and its URL should be shareable

    cancer_type = DiagnosisRadios(
        _l("Type of mesothelioma"),
        choices=options(vocab.DIAGNOSIS_TYPES),
        validators=[DataRequired(_l("Please choose the type of mesothelioma, or 'Not sure yet'."))],
    )
    zip = StringField(
        _l("ZIP code"),
        filters=[strip_filter],
        description=_l("We measure the distance to each specialist from here."),
        validators=[
            DataRequired(_l("Please enter a ZIP code.")),
            Length(max=10, message=_l("Please enter a 5-digit ZIP code, like 10001.")),
            existing_zip,
        ],
    )
    stage = Choice(_l("Stage"), choices=options(vocab.STAGES), default=NOT_SURE)
    cell_type = Choice(_l("Cell type"), choices=options(vocab.CELL_TYPES), default=NOT_SURE)
    veteran = Radios(
        _l("Did the patient serve in the US military?"),
        choices=options(VETERAN_CHOICES),
        validators=[Optional()],
    )
    need = Radios(
        _l("What are you looking for?"),
        choices=options(vocab.NEEDS),
        default=DEFAULT_NEED,
        validators=[Optional()],
    )
    language = Choice(_l("Preferred language"), choices=options(LANGUAGE_CHOICES), default="en")
    max_miles = Choice(_l("How far can you travel?"), choices=options(DISTANCE_CHOICES), default="")
    telehealth = BooleanField(_l("Video visits (telehealth) are fine"))

    def to_query(self, limit: int = PAGE_LIMIT + 1) -> MatchQuery:
        """The validated answers as the engine's query."""
        return MatchQuery(
            zip=self.zip.data,
            cancer_type=self.cancer_type.data,
            stage=self.stage.data or NOT_SURE,
            cell_type=self.cell_type.data or NOT_SURE,
            veteran=self.veteran.data == "yes",
            language=self.language.data or "en",
            telehealth_ok=bool(self.telehealth.data),
            max_miles=float(self.max_miles.data) if self.max_miles.data else None,
            limit=limit,
            need=self.need.data or DEFAULT_NEED,
        )


# --- The JSON API's and the CLI's parameters: one parser, so both refuse the same input ---

DEFAULT_LIMIT = 10
BOOLEAN_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
ZIP_PATTERN = r"^[0-9]{5}(-[0-9]{4})?$"
LANGUAGE_PATTERN = r"^[a-z]{2}$"
LIMIT_PATTERN = r"^-?[0-9]{1,6}$"
_BOOLEAN_HELP = "must be one of true, false, 1, 0, yes or no."


def _one_of(name: str, values: tuple[str, ...]) -> str:
    return f"{name} must be one of {', '.join(values[:-1])} or {values[-1]}."


def _text(params: Mapping[str, str | None], name: str) -> str | None:
    """A parameter's value; an empty one counts as not given."""
    value = params.get(name)
    return value if value else None


def _choice(
    params: Mapping[str, str | None], name: str, values: tuple[str, ...], default: str = NOT_SURE
) -> str:
    """A vocabulary value, in any letter case (Pleural, PLEURAL and pleural are one)."""
    value = (_text(params, name) or default).strip().lower()
    if value not in values:
        raise QueryError(name, _one_of(name, values))
    return value


def _boolean(params: Mapping[str, str | None], name: str) -> bool:
    value = (_text(params, name) or "false").strip().lower()
    if value not in BOOLEAN_WORDS:
        raise QueryError(name, f"{name} {_BOOLEAN_HELP}")
    return BOOLEAN_WORDS[value]


def _max_miles(params: Mapping[str, str | None]) -> float | None:
    value = _text(params, "max_miles")
    if value is None:
        return None
    try:
        miles = float(value) if value.isascii() else math.nan
    except ValueError:
        miles = math.nan
    if not (math.isfinite(miles) and miles > 0):
        raise QueryError("max_miles", "max_miles must be a number of miles greater than 0.")
    return miles


def _limit(params: Mapping[str, str | None]) -> int:
    value = _text(params, "limit")
    if value is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(LIMIT_PATTERN, value) or not 1 <= int(value) <= MAX_LIMIT:
        raise QueryError("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return int(value)


def _zip(params: Mapping[str, str | None]) -> str:
    value = _text(params, "zip")
    if value is None:
        raise QueryError("zip", "zip is required: a 5-digit US ZIP code, for example 10001.")
    if not re.fullmatch(ZIP_PATTERN, value):
        raise QueryError("zip", "zip must be a 5-digit US ZIP code, for example 10001.")
    if geo.lookup(value[:5]) is None:
        raise QueryError("zip", f"We could not find ZIP code {value[:5]}. Please check it.")
    return value[:5]


def query_from_params(params: Mapping[str, str | None]) -> MatchQuery:
    """Parse API query-string (or CLI) values; QueryError names the first bad parameter."""
    zip_code = _zip(params)
    if _text(params, "cancer_type") is None:
        raise QueryError("cancer_type", _one_of("cancer_type is required and", CANCER_TYPE_CHOICES))
    cancer_type = _choice(params, "cancer_type", CANCER_TYPE_CHOICES)
    stage = _choice(params, "stage", STAGE_CHOICES)
    cell_type = _choice(params, "cell_type", CELL_TYPE_CHOICES)
    veteran = _boolean(params, "veteran")
    language = (_text(params, "language") or "en").strip().lower()
    if not re.fullmatch(LANGUAGE_PATTERN, language):
        raise QueryError("language", "language must be a two-letter code such as en or es.")
    if language not in LANGUAGE_LABELS:
        raise QueryError("language", f"language {language!r} is not a language code we know.")
    need = _choice(params, "need", NEEDS, default=DEFAULT_NEED)
    telehealth = _boolean(params, "telehealth")
    return MatchQuery(
        zip=zip_code,
        cancer_type=cancer_type,
        stage=stage,
        cell_type=cell_type,
        veteran=veteran,
        language=language,
        telehealth_ok=telehealth,
        max_miles=_max_miles(params),
        limit=_limit(params),
        need=need,
    )
