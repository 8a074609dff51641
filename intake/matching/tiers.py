"""Which kind of doctor a case needs first: the tiers of PRODUCT.md section 3, by need.

For the default need (``treatment``):

    tier 1  fits this stage: a treating specialist who offers the care at the
            heart of the stage (stages 1, 2 and not known: the surgery for the
            type, e.g. cytoreduction with HIPEC for peritoneal; stages 3 and 4:
            systemic therapy, chemotherapy or immunotherapy; clinical trials
            alone do not make a listing fit)
    tier 2  treats this type: every other treating specialist
    tier 3  supportive care: palliative care and pulmonology

``clinical_trial`` puts trial sites first, then the treatment tiers (2-4);
``second_opinion`` puts first the fitting doctors who work where the
directory lists a team for the type (``teams_of``), then the treatment tiers
(2-4); ``palliative`` puts supportive care first, then treating specialists
who offer palliative care, then the other treating specialists.
"""

from __future__ import annotations

from collections.abc import Iterable

from intake.matching.types import (
    CANCER_TYPES,
    NOT_SURE,
    SUPPORTIVE_SPECIALTIES,
    SURGERIES,
    SURGERIES_BY_CANCER_TYPE,
    SYSTEMIC_TREATMENTS,
    Listing,
)

FITS, TREATS, SUPPORTIVE = 1, 2, 3
# Every tier number some need uses: clinical_trial and second_opinion go down to 4.
TIERS = (1, 2, 3, 4)
SURGEONS: frozenset[str] = frozenset({"thoracic_surgery", "surgical_oncology"})

# (institution, diagnosis type): the directory lists a surgeon and a medical oncologist
# treating that type under that institution's name (a multi-site institution is one team,
# as its tumour board usually is).
Team = tuple[str, str]


def stage_care(cancer_type: str, stage: str) -> frozenset[str]:
    """The treatments at the heart of this stage: the type's surgery early, systemic care late."""
    if stage in ("3", "4"):
        return SYSTEMIC_TREATMENTS
    if cancer_type == NOT_SURE:
        return SURGERIES
    return SURGERIES_BY_CANCER_TYPE.get(cancer_type, SURGERIES)


def institution_key(item: Listing) -> str:
    """The key that says two listings work at the same institution: its name, any case."""
    return " ".join(item.institution.split()).casefold()


def teams_of(listings: Iterable[Listing]) -> frozenset[Team]:
    """Every (institution, type) with an active surgeon and an active medical oncologist for it.

    One pass over the listings being ranked; the index does it once per build.
    """
    surgeons: set[Team] = set()
    oncologists: set[Team] = set()
    for item in listings:
        key = institution_key(item)
        if not item.active or not key:
            continue
        if item.specialty in SURGEONS:
            found = surgeons
        elif item.specialty == "medical_oncology":
            found = oncologists
        else:
            continue
        found.update((key, kind) for kind in item.cancer_types)
    return frozenset(surgeons & oncologists)


def team_types(item: Listing, teams: frozenset[Team], cancer_type: str | None) -> tuple[str, ...]:
    """The types (the patient's, or any the listing treats when not sure) with a team there."""
    if not teams:
        return ()
    key = institution_key(item)
    kinds = (cancer_type,) if cancer_type is not None else CANCER_TYPES
    return tuple(k for k in kinds if k in item.cancer_types and (key, k) in teams)


def treatment_tier(item: Listing, care: frozenset[str]) -> int:
    """The tier under the default need: fits this stage, treats this type, supportive care."""
    if item.specialty in SUPPORTIVE_SPECIALTIES:
        return SUPPORTIVE
    return FITS if not care.isdisjoint(item.treatments) else TREATS


def tier_of(item: Listing, need: str, care: frozenset[str], on_team: bool = False) -> int:
    """The listing's tier for this case and need (1 is what the case needs first).

    ``on_team``: the listing works where the directory lists a team for the type
    (only ``second_opinion`` asks).
    """
    if need == "palliative":
        if item.specialty in SUPPORTIVE_SPECIALTIES:
            return 1
        return 2 if "palliative_care" in item.treatments else 3
    base = treatment_tier(item, care)
    if need == "clinical_trial":
        return 1 if "clinical_trials" in item.treatments else base + 1
    if need == "second_opinion":
        return 1 if base == FITS and on_team else base + 1
    return base
