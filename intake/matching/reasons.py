"""Reasons a patient can use: what fits their case first, then what helps, then the distance.

Written for a frightened family reading on a phone: plain words, the name
of the care and why it matters for their type and stage, never a verdict
on the patient.  The fair-spread tie-breaker is not a reason a patient is
given; staff see it on the case's recorded matches (``staff_note``).
"""

from __future__ import annotations

from intake.matching.tiers import FITS, SUPPORTIVE
from intake.matching.types import (
    CANCER_TYPE_LABELS,
    CANCER_TYPES,
    CELL_TYPE_LABELS,
    NOT_SURE,
    SURGERIES,
    TREATMENT_LABELS,
    TREATMENTS,
    Listing,
    language_label,
)

FAIR_SPREAD_NOTE = "has had few referrals from us recently (fair spread, a tie-breaker)"
_SURGERY_WORDS = {
    "peritoneal": "the main surgery for peritoneal mesothelioma",
    "pleural": "the operations used for pleural mesothelioma",
}


def join(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def labels(values: frozenset[str] | set[str]) -> list[str]:
    """Treatment labels in vocabulary order, so reasons never depend on set order."""
    return [TREATMENT_LABELS[t] for t in TREATMENTS if t in values]


def fit_reason(
    item: Listing, tier: int, need: str, cancer_type: str, stage: str, care: frozenset[str]
) -> str:
    """The first reason: why this listing suits what the case needs."""
    offered = labels(care & item.treatments)
    if tier == FITS and need == "palliative":
        if item.specialty == "pulmonology":
            return "a lung specialist who helps with breathing and fluid around the lungs"
        return "a palliative care specialist: relief from pain, breathlessness and other symptoms"
    if tier == FITS and need == "clinical_trial":
        return "offers clinical trials of new treatments"
    if tier == FITS and stage in ("3", "4"):
        usual = "the usual options" if len(offered) > 1 else "one of the usual options"
        return f"offers {join(offered)}, {usual} at stage {stage}"
    if tier == FITS:
        if care <= SURGERIES and cancer_type in _SURGERY_WORDS:
            return f"performs {join(offered)}, {_SURGERY_WORDS[cancer_type]}"
        return f"performs {join(offered)}, surgery for mesothelioma"
    if tier == SUPPORTIVE and item.specialty == "pulmonology":
        return "a lung specialist (pulmonology) who can help with breathing close to home"
    if tier == SUPPORTIVE:
        return "palliative care for symptom relief close to home"
    if cancer_type != NOT_SURE:
        treats = CANCER_TYPE_LABELS[cancer_type]
    else:  # every type the listing treats, in vocabulary order
        kinds = [t for t in CANCER_TYPES if t in item.cancer_types]
        treats = f"{join(kinds)} mesothelioma" if kinds else "mesothelioma"
    other = labels(item.treatments - {"palliative_care"})
    return f"treats {treats}" + (f"; offers {join(other)}" if other else "")


def lift_reason(lift: str, item: Listing, cell_type: str, language: str | None) -> str:
    """One plain sentence for each lift a patient should know about."""
    if lift == "cell_type":
        offered = join(labels(item.treatments & {"clinical_trials", "immunotherapy"}))
        return f"offers {offered}, often considered for the {CELL_TYPE_LABELS[cell_type]} cell type"
    if lift == "va":
        return "accepts VA benefits"
    if lift == "language":
        return f"speaks {language_label(language or '')}"
    if lift == "telehealth":
        return "sees patients by video"
    return FAIR_SPREAD_NOTE


def distance_reason(miles: float, zip_code: str) -> str:
    """The last reason: how far."""
    return f"{miles:.1f} miles from {zip_code}"
