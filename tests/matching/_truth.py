"""An independent reading of section 3 for the tests: is each reason, tier and section true?

Written from PRODUCT.md, not from the engine's code, so a slip in either shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from intake.matching.types import (
    CANCER_TYPES,
    LANGUAGE_LABELS,
    TREATMENT_LABELS,
    Listing,
    Match,
    MatchQuery,
)

REACH = 500.0
TREATING = {"thoracic_surgery", "surgical_oncology", "medical_oncology", "radiation_oncology"}
SUPPORTIVE = {"palliative_care", "pulmonology"}
# Words that name a treatment, beyond the full labels.
SHORT_NAMES = {"surgery_epp": "(EPP)", "surgery_pd": "(P/D)", "crs_hipec": "HIPEC"}
_TEAM = re.compile(r"part of a team of surgeons and oncologists for (.+) mesothelioma at (.+)")
_TREATS = re.compile(r"treats (.+?) mesothelioma")


def teams(listings: Iterable[Listing]) -> set[tuple[str, str]]:
    """(institution name in lower case, type) with an active surgeon and medical oncologist."""
    surgeons, oncologists = set(), set()
    for item in listings:
        name = " ".join(item.institution.split()).casefold()
        if not item.active or not name:
            continue
        pairs = {(name, kind) for kind in item.cancer_types}
        if item.specialty in ("thoracic_surgery", "surgical_oncology"):
            surgeons |= pairs
        elif item.specialty == "medical_oncology":
            oncologists |= pairs
    return surgeons & oncologists


def on_team(item: Listing, query: MatchQuery, team_set: set[tuple[str, str]]) -> bool:
    """Does the listing work where a team treats the patient's type (any type when not sure)?"""
    name = " ".join(item.institution.split()).casefold()
    kinds = CANCER_TYPES if query.cancer_type == "not_sure" else (query.cancer_type,)
    return any((name, k) in team_set and k in item.cancer_types for k in kinds)


def fits_stage(item: Listing, query: MatchQuery) -> bool:
    """A treating specialist offering the care at the heart of the stage."""
    if item.specialty not in TREATING:
        return False
    if query.stage in ("3", "4"):
        care = {"chemotherapy", "immunotherapy"}
    elif query.cancer_type == "pleural":
        care = {"surgery_epp", "surgery_pd"}
    elif query.cancer_type == "peritoneal":
        care = {"crs_hipec"}
    else:
        care = {"surgery_epp", "surgery_pd", "crs_hipec"}
    return bool(care & item.treatments)


def expected_tier(item: Listing, query: MatchQuery, team_set: set[tuple[str, str]]) -> int:
    """The tier section 3 gives this listing for this need."""
    supportive = item.specialty in SUPPORTIVE
    treatment = 3 if supportive else (1 if fits_stage(item, query) else 2)
    if query.need == "palliative":
        return 1 if supportive else (2 if "palliative_care" in item.treatments else 3)
    if query.need == "clinical_trial":
        return 1 if "clinical_trials" in item.treatments else treatment + 1
    if query.need == "second_opinion":
        return 1 if treatment == 1 and on_team(item, query, team_set) else treatment + 1
    return treatment


def reach(query: MatchQuery) -> float:
    """The patient's distance, or 500 miles."""
    return query.max_miles or REACH


def expected_section(match: Match, query: MatchQuery) -> str:
    """best/support within the distance, video past it by telehealth, farther beyond reach."""
    item = match.listing
    if match.distance_miles <= reach(query):
        if item.specialty in SUPPORTIVE and query.need != "palliative":
            return "support"
        return "best"
    return "video" if query.telehealth_ok and item.telehealth else "farther"


def false_claims(  # noqa: C901 - one check per kind of fact, read top to bottom
    match: Match, query: MatchQuery, team_set: set[tuple[str, str]]
) -> list[str]:
    """Every statement in the match's reasons that its row does not bear out."""
    item, found = match.listing, []
    text = " / ".join(match.reasons)
    for code, label in TREATMENT_LABELS.items():
        if code in item.treatments:
            continue
        if code == "palliative_care" and item.specialty == "palliative_care":
            continue  # "a palliative care specialist" names the specialty
        for words in (label, SHORT_NAMES.get(code)):
            if words and words in text:
                found.append(f"names {words!r}, not offered")
    if "palliative" in text and not (
        item.specialty == "palliative_care" or "palliative_care" in item.treatments
    ):
        found.append("says palliative of a listing without it")
    if "lung specialist" in text and item.specialty != "pulmonology":
        found.append("calls a non-pulmonologist a lung specialist")
    if "performs" in text and not (item.treatments & set(SHORT_NAMES)):
        found.append("performs surgery it does not offer")
    for kinds in _TREATS.findall(text):
        named = set(re.split(r", | and ", kinds))
        if not named <= item.cancer_types:
            found.append(f"treats {kinds}: not on the row")
    for code, label in LANGUAGE_LABELS.items():
        if f"speaks {label}" in text and code not in item.languages:
            found.append(f"speaks {label}: not on the row")
    if "VA" in text and not item.accepts_va:
        found.append("says VA without the affiliation")
    if "video" in text and not item.telehealth:
        found.append("says video without telehealth")
    if "close to home" in text:
        found.append("says close to home")
    distances = [r for r in match.reasons if " miles from " in r]
    if distances != [f"{match.distance_miles:.1f} miles from {query.zip}"]:
        found.append(f"distance reason {distances} is not {match.distance_miles}")
    for reason in match.reasons:
        team = _TEAM.fullmatch(reason)
        if team is None:
            continue
        kinds = set(re.split(r", | and ", team.group(1)))
        name = " ".join(team.group(2).split()).casefold()
        if team.group(2) != item.institution.strip() or not all(
            (name, k) in team_set and k in item.cancer_types for k in kinds
        ):
            found.append(f"no such team: {reason}")
    return found
