"""Vocabularies and value types shared by matching, forms, CSV import and templates.

Kept free of Flask and SQLAlchemy so the ranking rules can be tested and
benchmarked as plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_SURE = "not_sure"

CANCER_TYPES: tuple[str, ...] = ("pleural", "peritoneal", "pericardial", "testicular")
STAGES: tuple[str, ...] = ("1", "2", "3", "4")
CELL_TYPES: tuple[str, ...] = ("epithelioid", "sarcomatoid", "biphasic")
SPECIALTIES: tuple[str, ...] = (
    "thoracic_surgery",
    "surgical_oncology",
    "medical_oncology",
    "radiation_oncology",
    "pulmonology",
    "palliative_care",
)
TREATMENTS: tuple[str, ...] = (
    "surgery_epp",
    "surgery_pd",
    "crs_hipec",
    "chemotherapy",
    "immunotherapy",
    "radiation",
    "clinical_trials",
    "palliative_care",
)

# What the patient is looking for; it decides which listings come first (section 3).
NEEDS: tuple[str, ...] = ("treatment", "second_opinion", "clinical_trial", "palliative")
DEFAULT_NEED = "treatment"
# Specialties that treat the disease, and those that care for its symptoms.
TREATING_SPECIALTIES: frozenset[str] = frozenset(
    {"thoracic_surgery", "surgical_oncology", "medical_oncology", "radiation_oncology"}
)
SUPPORTIVE_SPECIALTIES: frozenset[str] = frozenset({"palliative_care", "pulmonology"})

# What a patient may answer on the form: every known value, or "not sure yet".
CANCER_TYPE_CHOICES: tuple[str, ...] = (*CANCER_TYPES, NOT_SURE)
STAGE_CHOICES: tuple[str, ...] = (*STAGES, NOT_SURE)
CELL_TYPE_CHOICES: tuple[str, ...] = (*CELL_TYPES, NOT_SURE)

SURGERIES: frozenset[str] = frozenset({"surgery_epp", "surgery_pd", "crs_hipec"})
# Surgery that fits each diagnosis; types not listed (and "not sure") accept any surgery.
SURGERIES_BY_CANCER_TYPE: dict[str, frozenset[str]] = {
    "pleural": frozenset({"surgery_epp", "surgery_pd"}),
    "peritoneal": frozenset({"crs_hipec"}),
}
# The care at the heart of stages 3 and 4: systemic therapy (trials alone do not fit a stage).
SYSTEMIC_TREATMENTS: frozenset[str] = frozenset({"chemotherapy", "immunotherapy"})
# Sarcomatoid and biphasic tumours respond less to surgery and standard chemotherapy;
# immunotherapy is usually the first treatment for them, so it lifts a listing.
HARD_CELL_TYPES: frozenset[str] = frozenset({"sarcomatoid", "biphasic"})
HARD_CELL_TYPE_TREATMENTS: frozenset[str] = frozenset({"immunotherapy"})
# Where a result sits on the page (section 3): within reach, by video, or farther.
SECTIONS: tuple[str, ...] = ("best", "support", "video", "farther")

CANCER_TYPE_LABELS: dict[str, str] = {
    "pleural": "pleural mesothelioma",
    "peritoneal": "peritoneal mesothelioma",
    "pericardial": "pericardial mesothelioma",
    "testicular": "testicular mesothelioma",
    NOT_SURE: "not sure yet",
}
STAGE_LABELS: dict[str, str] = {
    "1": "stage 1",
    "2": "stage 2",
    "3": "stage 3",
    "4": "stage 4",
    NOT_SURE: "not sure yet",
}
CELL_TYPE_LABELS: dict[str, str] = {
    "epithelioid": "epithelioid",
    "sarcomatoid": "sarcomatoid",
    "biphasic": "biphasic (mixed)",
    NOT_SURE: "not sure yet",
}
SPECIALTY_LABELS: dict[str, str] = {
    "thoracic_surgery": "thoracic surgery",
    "surgical_oncology": "surgical oncology",
    "medical_oncology": "medical oncology",
    "radiation_oncology": "radiation oncology",
    "pulmonology": "pulmonology",
    "palliative_care": "palliative care",
}
TREATMENT_LABELS: dict[str, str] = {
    "surgery_epp": "extrapleural pneumonectomy (EPP)",
    "surgery_pd": "pleurectomy/decortication (P/D)",
    "crs_hipec": "cytoreductive surgery with HIPEC",
    "chemotherapy": "chemotherapy",
    "immunotherapy": "immunotherapy",
    "radiation": "radiation therapy",
    "clinical_trials": "clinical trials",
    "palliative_care": "palliative care",
}
LANGUAGE_LABELS: dict[str, str] = {
    "en": "English",
    "es": "Spanish",
    "zh": "Chinese",
    "vi": "Vietnamese",
    "tl": "Tagalog",
    "ko": "Korean",
    "ru": "Russian",
    "ar": "Arabic",
    "fr": "French",
    "ht": "Haitian Creole",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "pl": "Polish",
    "el": "Greek",
    "hi": "Hindi",
    "ja": "Japanese",
    "uk": "Ukrainian",
    "he": "Hebrew",
    "yi": "Yiddish",
    "fa": "Persian",
    "ur": "Urdu",
    "bn": "Bengali",
    "pa": "Punjabi",
    "gu": "Gujarati",
    "hy": "Armenian",
}

_DOCTOR_CREDENTIALS = frozenset({"MD", "DO"})


def language_label(code: str) -> str:
    """Name a language for patients; unknown ISO 639-1 codes fall back to the code itself."""
    return LANGUAGE_LABELS.get(code, code)


def format_display_name(first_name: str, last_name: str, credentials: str = "") -> str:
    """Build the name patients see, e.g. 'Dr. Daniel Strand, MD', from the CSV columns."""
    creds = (credentials or "").strip()
    parts = {part.strip().replace(".", "").upper() for part in creds.split(",")}
    prefix = "Dr. " if parts & _DOCTOR_CREDENTIALS else ""
    name = f"{prefix}{first_name.strip()} {last_name.strip()}".strip()
    return f"{name}, {creds}" if creds else name


@dataclass(frozen=True, slots=True)
class Listing:
    """One specialist as the ranking sees it: a plain value, detached from any database row.

    ``listing_id`` is unique (it is the CSV upsert key); ranking relies on it to break ties.
    """

    listing_id: str
    name: str
    specialty: str
    institution: str
    city: str
    state: str
    zip: str
    lat: float
    lon: float
    cancer_types: frozenset[str]
    treatments: frozenset[str] = frozenset()
    accepts_va: bool = False
    accepting_new_patients: bool = True
    telehealth: bool = False
    languages: frozenset[str] = frozenset({"en"})
    active: bool = True
    recent_referrals: int = 0
    phone: str = ""  # the listing's public contact details, for the cards
    website: str = ""

    @property
    def display_name(self) -> str:
        """Alias of ``name``, for templates that speak of display names."""
        return self.name


@dataclass(frozen=True, slots=True)
class MatchQuery:
    """What a patient told the match form, before validation."""

    zip: str
    cancer_type: str
    stage: str = NOT_SURE
    cell_type: str = NOT_SURE
    veteran: bool = False
    language: str = "en"
    telehealth_ok: bool = False
    max_miles: float | None = None
    limit: int = 10
    need: str = DEFAULT_NEED


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a listing was chosen, as a code and the facts of its row it names (no words).

    The words are chosen where a reason is shown, in the reader's language
    (``wording.py``), so the page, the guide and the API say the same thing.
    Only the fields a code uses are set.
    """

    code: str  # see wording.py: fits_stage, surgery, treats, ..., distance
    treatments: tuple[str, ...] = ()  # in vocabulary order
    cancer_types: tuple[str, ...] = ()
    stage: str = ""
    cell_type: str = ""
    language: str = ""
    institution: str = ""
    miles: float | None = None
    zip: str = ""

    def values(self) -> dict[str, object]:
        """The facts it names, for programs (the API's ``reason_codes``)."""
        found: dict[str, object] = {}
        for name in ("treatments", "cancer_types", "stage", "cell_type", "language"):
            value = getattr(self, name)
            if value:
                found[name] = list(value) if isinstance(value, tuple) else value
        if self.institution:
            found["institution"] = self.institution
        if self.miles is not None:
            found.update(miles=self.miles, zip=self.zip)
        return found


@dataclass(frozen=True, slots=True)
class Match:
    """One ranked result: the listing, how far it is, its score and why it was chosen."""

    listing: Listing
    distance_miles: float
    score: float
    why: tuple[Reason, ...]  # for patients: what fits their case, then the distance
    lifts: tuple[str, ...]  # machine names of every lift applied, fair spread included
    tier: int = 2  # 1 is what the need asks for first (tiers.py); 1-3, or 1-4 for some needs
    within_reach: bool = True  # within the patient's reach, in person or by video
    staff_note: str = ""  # the fair-spread tie-breaker, for staff only
    section: str = "best"  # best, support, video or farther (SECTIONS; PRODUCT.md section 3)

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons in English (the catalogue's own words): for staff, the CLI and tests."""
        from intake.matching.wording import ENGLISH

        return ENGLISH.reasons(self.why)


class QueryError(ValueError):
    """A match query the product must refuse with a clear message (HTTP 400, form error)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
