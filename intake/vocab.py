"""Choice lists the public forms offer and the models store (value, label).

Matching vocabularies (cancer types, stages, treatments) live in
``intake.matching.rules``; these are the intake-only ones.
"""

from __future__ import annotations

RELATIONSHIPS = [
    ("self", "I am the patient"),
    ("spouse_partner", "Spouse or partner"),
    ("child", "Son or daughter"),
    ("other_family", "Other family member"),
    ("caregiver", "Caregiver or friend"),
    ("other", "Someone else"),
]

DIAGNOSIS_TYPES = [
    ("pleural", "Pleural (lining of the lungs)"),
    ("peritoneal", "Peritoneal (lining of the abdomen)"),
    ("pericardial", "Pericardial (lining of the heart)"),
    ("testicular", "Testicular (tunica vaginalis)"),
    ("not_sure", "Not sure yet"),
]

STAGES = [
    ("1", "Stage 1"),
    ("2", "Stage 2"),
    ("3", "Stage 3"),
    ("4", "Stage 4"),
    ("not_sure", "Not sure / not staged yet"),
]

CELL_TYPES = [
    ("epithelioid", "Epithelioid"),
    ("sarcomatoid", "Sarcomatoid"),
    ("biphasic", "Biphasic (mixed)"),
    ("not_sure", "Not sure"),
]

VETERAN = [
    ("yes", "Yes"),
    ("no", "No"),
    ("unknown", "Prefer not to say"),
]

GUIDE_TOPICS = [
    ("treatment", "Treatment options and what each stage means"),
    ("financial", "Financial help and paying for care"),
    ("va_benefits", "VA benefits for veterans"),
    ("living_with", "Living with mesothelioma, remission and recurrence"),
]

DIAGNOSED = [
    ("recent", "In the last month"),
    ("earlier", "More than a month ago"),
    ("unknown", "Not sure"),
]

BEST_TIMES = [
    ("asap", "As soon as possible"),
    ("morning", "Morning (8 AM to noon)"),
    ("afternoon", "Afternoon (noon to 5 PM)"),
    ("evening", "Evening (5 PM to 9 PM)"),
]

GUIDE_LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish / Español"),
]

# The same list on every form that asks a preferred language (callback, match): how each
# language names itself beside its English name, so a reader finds their own.
LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish (Español)"),
    ("zh", "Chinese (中文)"),
    ("vi", "Vietnamese (Tiếng Việt)"),
    ("ko", "Korean (한국어)"),
    ("tl", "Tagalog"),
    ("ru", "Russian (Русский)"),
    ("ar", "Arabic (العربية)"),
    ("fr", "French (Français)"),
    ("pt", "Portuguese (Português)"),
    ("de", "German (Deutsch)"),
    ("it", "Italian (Italiano)"),
    ("pl", "Polish (Polski)"),
    ("ht", "Haitian Creole (Kreyòl ayisyen)"),
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
    ("treatment", "A doctor to plan treatment"),
    ("second_opinion", "A second opinion"),
    ("clinical_trial", "A clinical trial"),
    ("palliative", "Help with symptoms close to home"),
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


def label(choices: list[tuple[str, str]], value: str | None) -> str:
    """The human label for a stored value ('' when unknown)."""
    return dict(choices).get(value or "", "")


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
