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

LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish / Español"),
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
