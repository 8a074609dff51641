"""Reasons a patient can use: what fits their case first, then what helps, then the distance.

Each reason is a code and the facts of the listing's row it names
(``types.Reason``); ``wording.py`` says it in the reader's language where it
is shown.  Written for a frightened family reading on a phone: the name of
the care and why it matters for their type and stage, never a verdict on
the patient.  Every reason is a fact about the listing's row: it names only
the treatments, languages, VA affiliation and telehealth the row has, its
specialty, and the distance; none says "close to home" (the page's sections
say where a listing is).  The fair-spread tie-breaker is not a reason a
patient is given; staff see it on the case's recorded matches
(``staff_note``).
"""

from __future__ import annotations

from intake.matching.tiers import FITS, SUPPORTIVE, treatment_tier
from intake.matching.types import (
    CANCER_TYPES,
    NOT_SURE,
    SURGERIES,
    TREATMENTS,
    Listing,
    Reason,
)

FAIR_SPREAD_NOTE = "has had few referrals from us recently (fair spread, a tie-breaker)"
# the types whose surgery has words of its own ("the main surgery for peritoneal ...")
_NAMED_SURGERY_TYPES = ("peritoneal", "pleural")


def in_order(values: frozenset[str] | set[str]) -> tuple[str, ...]:
    """Treatments in vocabulary order, so reasons never depend on set order."""
    return tuple(t for t in TREATMENTS if t in values)


def types_named(item: Listing, cancer_type: str) -> tuple[str, ...]:
    """The patient's type, or every type the listing treats when the patient is not sure."""
    if cancer_type != NOT_SURE:
        return (cancer_type,)
    return tuple(t for t in CANCER_TYPES if t in item.cancer_types)


def supportive_reason(item: Listing, need: str) -> Reason:
    """What a palliative care or lung specialist does, said of their specialty alone."""
    if item.specialty == "pulmonology":
        return Reason("lung_symptoms" if need == "palliative" else "lung_specialist")
    return Reason("palliative_specialist")


def stage_reason(item: Listing, cancer_type: str, stage: str, care: frozenset[str]) -> Reason:
    """Why a treating specialist fits the stage: the care at its heart that the listing offers."""
    offered = in_order(care & item.treatments)
    if stage in ("3", "4"):
        return Reason("fits_stage", treatments=offered, stage=stage)
    named = care <= SURGERIES and cancer_type in _NAMED_SURGERY_TYPES
    return Reason("surgery", treatments=offered, cancer_types=(cancer_type,) if named else ())


def treats_reason(item: Listing, cancer_type: str) -> Reason:
    """A treating specialist who does not fit the stage: the type, and what the row offers."""
    other = in_order(item.treatments - {"palliative_care"})
    return Reason("treats", treatments=other, cancer_types=types_named(item, cancer_type))


def fit_reason(
    item: Listing, tier: int, need: str, cancer_type: str, stage: str, care: frozenset[str]
) -> Reason:
    """The first reason: why this listing suits what the case needs, true under every need."""
    if need == "palliative":
        if tier == FITS:
            return supportive_reason(item, need)
        if "palliative_care" in item.treatments:
            return Reason("treats_with_palliative", cancer_types=types_named(item, cancer_type))
        return treats_reason(item, cancer_type)
    if need == "clinical_trial" and tier == FITS:
        return Reason("clinical_trials", treatments=("clinical_trials",))
    base = treatment_tier(item, care)
    if base == SUPPORTIVE:
        return supportive_reason(item, need)
    if base == FITS:
        return stage_reason(item, cancer_type, stage, care)
    return treats_reason(item, cancer_type)


def team_reason(item: Listing, kinds: tuple[str, ...]) -> Reason:
    """Second opinion: the listing works where the directory lists a team for the type."""
    return Reason("team", cancer_types=kinds, institution=item.institution.strip())


def lift_reason(lift: str, cell_type: str, language: str | None) -> Reason:
    """The reason for each lift a patient should know about (never the fair spread)."""
    if lift == "cell_type":
        return Reason("cell_type", treatments=("immunotherapy",), cell_type=cell_type)
    if lift == "language":
        return Reason("language", language=language or "")
    return Reason(lift)  # va, telehealth


def distance_reason(miles: float, zip_code: str) -> Reason:
    """The last reason: how far."""
    return Reason("distance", miles=miles, zip=zip_code)
