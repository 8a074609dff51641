"""Choice lists the public forms offer and the models store (value, label).

Matching vocabularies (cancer types, stages, treatments) live in
``intake.matching.rules``; these are the intake-only ones.  The labels the
public forms show are marked for the catalogue and read in the page's
language when shown (English on staff pages and outside a request).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

RELATIONSHIPS = [
    ("self", _l("I am the patient")),
    ("spouse_partner", _l("Spouse or partner")),
    ("child", _l("Son or daughter")),
    ("other_family", _l("Other family member")),
    ("caregiver", _l("Caregiver or friend")),
    ("other", _l("Someone else")),
]

DIAGNOSIS_TYPES = [
    ("pleural", _l("Pleural (lining of the lungs)")),
    ("peritoneal", _l("Peritoneal (lining of the abdomen)")),
    ("pericardial", _l("Pericardial (lining of the heart)")),
    ("testicular", _l("Testicular (tunica vaginalis)")),
    ("not_sure", _l("Not sure yet")),
]

STAGES = [
    ("1", _l("Stage 1")),
    ("2", _l("Stage 2")),
    ("3", _l("Stage 3")),
    ("4", _l("Stage 4")),
    ("not_sure", _l("Not sure / not staged yet")),
]

CELL_TYPES = [
    ("epithelioid", _l("Epithelioid")),
    ("sarcomatoid", _l("Sarcomatoid")),
    ("biphasic", _l("Biphasic (mixed)")),
    ("not_sure", _l("Not sure")),
]

VETERAN = [
    ("yes", _l("Yes")),
    ("no", _l("No")),
    ("unknown", _l("Prefer not to say")),
]

GUIDE_TOPICS = [
    ("treatment", _l("Treatment options and what each stage means")),
    ("financial", _l("Financial help and paying for care")),
    ("va_benefits", _l("VA benefits for veterans")),
    ("living_with", _l("Living with mesothelioma, remission and recurrence")),
]

DIAGNOSED = [
    ("recent", _l("In the last month")),
    ("earlier", _l("More than a month ago")),
    ("unknown", _l("Not sure")),
]

BEST_TIMES = [
    ("asap", _l("As soon as possible")),
    ("morning", _l("Morning (8 AM to noon)")),
    ("afternoon", _l("Afternoon (noon to 5 PM)")),
    ("evening", _l("Evening (5 PM to 9 PM)")),
]

GUIDE_LANGUAGES = [
    ("en", _l("English")),
    ("es", _l("Spanish / Español")),
]

# The same list on every form that asks a preferred language (callback, match): how each
# language names itself beside its English name, so a reader finds their own.
LANGUAGES = [
    ("en", _l("English")),
    ("es", _l("Spanish (Español)")),
    ("zh", _l("Chinese (中文)")),
    ("vi", _l("Vietnamese (Tiếng Việt)")),
    ("ko", _l("Korean (한국어)")),
    ("tl", _l("Tagalog")),
    ("ru", _l("Russian (Русский)")),
    ("ar", _l("Arabic (العربية)")),
    ("fr", _l("French (Français)")),
    ("pt", _l("Portuguese (Português)")),
    ("de", _l("German (Deutsch)")),
    ("it", _l("Italian (Italiano)")),
    ("pl", _l("Polish (Polski)")),
    ("ht", _l("Haitian Creole (Kreyòl ayisyen)")),
]

# What routes a call to an advocate (a staff account's skills): a language besides English,
# by its English name as staff say it, and VA benefits.
SKILLS = [(code, name.split(" (")[0]) for code, name in LANGUAGES if code != "en"] + [
    ("va", "VA benefits")
]


def skill_words(codes: list[str] | None) -> str:
    """A staff member's skills as words: 'Spanish, VA benefits' ('' for none)."""
    names = dict(SKILLS)
    words = [names.get(code.strip().lower(), f"{code} (not a skill calls are routed by)")
             for code in codes or () if code and code.strip()]  # fmt: skip
    return ", ".join(words)


NEEDS = [
    ("treatment", _l("A doctor to plan treatment")),
    ("second_opinion", _l("A second opinion")),
    ("clinical_trial", _l("A clinical trial")),
    ("palliative", _l("Help with symptoms close to home")),
]

# two-letter codes of the 50 states, DC and Puerto Rico
# fmt: off
US_STATES = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID",
    "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO",
    "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
    "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
]
# fmt: on


def label(choices: list[tuple[str, Any]], value: str | None) -> str:
    """The human label for a stored value ('' when unknown)."""
    return str(dict(choices).get(value or "", ""))


# How staff read a recorded match's tier (PRODUCT.md section 3): recorded matches are
# ranked for the default need, treatment; the other needs number their tiers differently.
MATCH_TIERS = {
    1: "fits this stage",
    2: "treats this type",
    3: "supportive care",
}
MATCH_TIERS_BY_NEED: dict[str, dict[int, str]] = {
    "treatment": MATCH_TIERS,
    "clinical_trial": {
        1: "offers clinical trials",
        2: "fits this stage",
        3: "treats this type",
        4: "supportive care",
    },
    "second_opinion": {
        1: "fits this stage, with a team for this type",
        2: "fits this stage",
        3: "treats this type",
        4: "supportive care",
    },
    "palliative": {
        1: "supportive care",
        2: "treats this type and offers palliative care",
        3: "treats this type",
    },
}


def match_tier_label(tier: int, need: str = "treatment") -> str:
    """What tier N means under this need ('' for a tier the need does not have)."""
    return MATCH_TIERS_BY_NEED.get(need, MATCH_TIERS).get(tier, "")
