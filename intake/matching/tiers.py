"""Which kind of doctor a case needs first: the three tiers of PRODUCT.md section 3.

    tier 1  fits this stage: a treating specialist who offers the care at the
            heart of the stage (stages 1, 2 and not known: the surgery for the
            type, e.g. cytoreduction with HIPEC for peritoneal; stages 3 and 4:
            chemotherapy, immunotherapy or clinical trials)
    tier 2  treats this type: every other treating specialist
    tier 3  supportive care: palliative care and pulmonology

The ``need`` changes what tier 1 is: ``clinical_trial`` puts trial sites
first, ``palliative`` puts supportive care first (treating specialists who
offer palliative care next); ``second_opinion`` is the same as ``treatment``.
"""

from __future__ import annotations

from intake.matching.types import (
    LATE_STAGE_TREATMENTS,
    NOT_SURE,
    SUPPORTIVE_SPECIALTIES,
    SURGERIES,
    SURGERIES_BY_CANCER_TYPE,
    TREATING_SPECIALTIES,
    Listing,
)

FITS, TREATS, SUPPORTIVE = 1, 2, 3
TIERS = (FITS, TREATS, SUPPORTIVE)


def stage_care(cancer_type: str, stage: str) -> frozenset[str]:
    """The treatments at the heart of this stage: the type's surgery early, systemic care late."""
    if stage in ("3", "4"):
        return LATE_STAGE_TREATMENTS
    if cancer_type == NOT_SURE:
        return SURGERIES
    return SURGERIES_BY_CANCER_TYPE.get(cancer_type, SURGERIES)


def tier_of(item: Listing, need: str, care: frozenset[str]) -> int:
    """The listing's tier for this case and need (1 is what the case needs first)."""
    treating = item.specialty in TREATING_SPECIALTIES
    if need == "palliative":
        if item.specialty in SUPPORTIVE_SPECIALTIES:
            return FITS
        return TREATS if treating and "palliative_care" in item.treatments else SUPPORTIVE
    if need == "clinical_trial" and "clinical_trials" in item.treatments:
        return FITS
    if not treating:
        return SUPPORTIVE
    if need != "clinical_trial" and not care.isdisjoint(item.treatments):
        return FITS
    return TREATS
