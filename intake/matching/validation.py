"""Checking a match query before ranking: every bad field, with a plain message.

The page shows all problems at once (``query_errors``); the API and CLI
refuse with the first (``validate_query`` raising ``QueryError``).
"""

from __future__ import annotations

import math
import re

from intake.matching import geo
from intake.matching.types import (
    CANCER_TYPE_CHOICES,
    CELL_TYPE_CHOICES,
    LANGUAGE_LABELS,
    NEEDS,
    STAGE_CHOICES,
    MatchQuery,
    QueryError,
)

MAX_LIMIT = 50
_LANGUAGE_RE = re.compile(r"[a-z]{2}")


def _zip_error(raw: object) -> str | None:
    """Why a ZIP cannot be used, or None when it names a known US ZIP."""
    zip_code = geo.normalize_zip(raw) if isinstance(raw, str) else ""
    if not zip_code:
        return "Enter a 5-digit ZIP code, for example 10001."
    if geo.lookup(zip_code) is None:
        return f"We could not find ZIP code {zip_code}. Please check it."
    return None


def _is_number(value: object) -> bool:
    """True for real ints and floats (bool is not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def query_errors(query: MatchQuery, check_zip: bool = True) -> dict[str, str]:
    """Every problem with a query, field by field, so a form can show them all at once."""
    errors: dict[str, str] = {}
    zip_problem = _zip_error(query.zip) if check_zip else None
    if zip_problem:
        errors["zip"] = zip_problem
    if query.cancer_type not in CANCER_TYPE_CHOICES:
        errors["cancer_type"] = "Choose a diagnosis type, or 'not sure yet'."
    if query.stage not in STAGE_CHOICES:
        errors["stage"] = "Choose a stage from 1 to 4, or 'not sure yet'."
    if query.cell_type not in CELL_TYPE_CHOICES:
        errors["cell_type"] = "Choose a cell type, or 'not sure yet'."
    if not isinstance(query.language, str) or not _LANGUAGE_RE.fullmatch(query.language):
        errors["language"] = "Use a two-letter language code such as en or es."
    elif query.language not in LANGUAGE_LABELS:
        errors["language"] = f"We do not know the language code {query.language!r}."
    if query.need not in NEEDS:
        errors["need"] = "Choose what you are looking for: " + ", ".join(NEEDS) + "."
    for flag in ("veteran", "telehealth_ok"):
        if not isinstance(getattr(query, flag), bool):
            errors[flag] = "Answer yes or no."
    max_miles = query.max_miles
    if max_miles is not None and not (
        _is_number(max_miles) and math.isfinite(max_miles) and max_miles > 0
    ):
        errors["max_miles"] = "The travel distance must be a positive number of miles."
    if not (isinstance(query.limit, int) and not isinstance(query.limit, bool)) or not (
        1 <= query.limit <= MAX_LIMIT
    ):
        errors["limit"] = f"The number of results must be between 1 and {MAX_LIMIT}."
    return errors


def validate_query(query: MatchQuery) -> geo.ZipPoint:
    """Refuse a bad query with a QueryError naming the field; return the patient's ZIP point."""
    errors = query_errors(query)
    if errors:
        field, message = next(iter(errors.items()))
        raise QueryError(field, message)
    origin = geo.lookup(geo.normalize_zip(query.zip))
    assert origin is not None  # checked by query_errors
    return origin
