"""Reasons a patient can use: what fits their case first, then what helps, then the distance.

Written for a frightened family reading on a phone: plain words, the name
of the care and why it matters for their type and stage, never a verdict
on the patient.  Every reason is a fact about the listing's row: it names
only the treatments, languages, VA affiliation and telehealth the row has,
its specialty, and the distance; nothing here says "close to home" (the
page's sections say where a listing is).  The fair-spread tie-breaker is
not a reason a patient is given; staff see it on the case's recorded
matches (``staff_note``).
"""

from __future__ import annotations

from intake.matching.tiers import FITS, SUPPORTIVE, treatment_tier
from intake.matching.types import (
    CANCER_TYPE_LABELS,
    CANCER_TYPES,
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
_CELL_TYPE_WORDS = {"sarcomatoid": "sarcomatoid", "biphasic": "biphasic"}


def join(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def labels(values: frozenset[str] | set[str]) -> list[str]:
    """Treatment labels in vocabulary order, so reasons never depend on set order."""
    return [TREATMENT_LABELS[t] for t in TREATMENTS if t in values]


def type_words(item: Listing, cancer_type: str) -> str:
    """'pleural mesothelioma', or every type the listing treats when the patient is not sure."""
    if cancer_type != NOT_SURE:
        return CANCER_TYPE_LABELS[cancer_type]
    kinds = [t for t in CANCER_TYPES if t in item.cancer_types]
    return f"{join(kinds)} mesothelioma" if kinds else "mesothelioma"


def supportive_reason(item: Listing, need: str) -> str:
    """What a palliative care or lung specialist does, said of their specialty alone."""
    if item.specialty == "pulmonology":
        if need == "palliative":
            return "a lung specialist who helps with breathing and fluid around the lungs"
        return "a lung specialist (pulmonology) who can help with breathing"
    return "a palliative care specialist: relief from pain, breathlessness and other symptoms"


def stage_reason(item: Listing, cancer_type: str, stage: str, care: frozenset[str]) -> str:
    """Why a treating specialist fits the stage: the care at its heart that the listing offers."""
    offered = labels(care & item.treatments)
    if stage in ("3", "4"):
        usual = "the usual options" if len(offered) > 1 else "one of the usual options"
        return f"offers {join(offered)}, {usual} at stage {stage}"
    if care <= SURGERIES and cancer_type in _SURGERY_WORDS:
        return f"performs {join(offered)}, {_SURGERY_WORDS[cancer_type]}"
    return f"performs {join(offered)}, surgery for mesothelioma"


def treats_reason(item: Listing, cancer_type: str) -> str:
    """A treating specialist who does not fit the stage: the type, and what the row offers."""
    other = labels(item.treatments - {"palliative_care"})
    return f"treats {type_words(item, cancer_type)}" + (f"; offers {join(other)}" if other else "")


def fit_reason(
    item: Listing, tier: int, need: str, cancer_type: str, stage: str, care: frozenset[str]
) -> str:
    """The first reason: why this listing suits what the case needs, true under every need."""
    if need == "palliative":
        if tier == FITS:
            return supportive_reason(item, need)
        if "palliative_care" in item.treatments:
            return f"treats {type_words(item, cancer_type)} and offers palliative care"
        return treats_reason(item, cancer_type)
    if need == "clinical_trial" and tier == FITS:
        return "offers clinical trials of new treatments"
    base = treatment_tier(item, care)
    if base == SUPPORTIVE:
        return supportive_reason(item, need)
    if base == FITS:
        return stage_reason(item, cancer_type, stage, care)
    return treats_reason(item, cancer_type)


def team_reason(item: Listing, kinds: tuple[str, ...]) -> str:
    """Second opinion: the listing works where the directory lists a team for the type."""
    words = join([CANCER_TYPE_LABELS[k].removesuffix(" mesothelioma") for k in kinds])
    return (
        f"part of a team of surgeons and oncologists for {words} mesothelioma "
        f"at {item.institution.strip()}"
    )


def lift_reason(lift: str, item: Listing, cell_type: str, language: str | None) -> str:
    """One plain sentence for each lift a patient should know about."""
    if lift == "cell_type":
        kind = _CELL_TYPE_WORDS.get(cell_type, cell_type)
        return f"offers immunotherapy, usually the first treatment for {kind} mesothelioma"
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
