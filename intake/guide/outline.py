"""Which chapters a reader's guide contains, in which order, with titles in their language.

Pure rules with no Flask or database imports, so the outline can be unit-tested and
used as a cache key without an application.  The templates live in
``templates/guide/<language>/<chapter id>.html``; each chapter id here has one per
language.

Ordering principle: someone who has just heard the word "mesothelioma" should meet
their own diagnosis first, so the chapter about their type comes straight after the
welcome, before the general background.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "es")
DIAGNOSIS_TYPES = ("pleural", "peritoneal", "pericardial", "testicular")
STAGES = ("1", "2", "3", "4")
CELL_TYPES = ("epithelioid", "sarcomatoid", "biphasic")
TOPICS = ("treatment", "financial", "va_benefits", "living_with")

# The chapters a topic adds, in reading order.  va_benefits also depends on veteran
# status (see ``_wants_va``); the other topics map straight to chapters.
TOPIC_CHAPTERS: dict[str, tuple[str, ...]] = {
    "treatment": ("treatments",),
    "living_with": ("remission", "living_with"),
    "financial": ("financial",),
    "va_benefits": ("va_benefits",),
}

STAGE_CHAPTERS: dict[str, str] = {
    "1": "stage_early",
    "2": "stage_early",
    "3": "stage_3",
    "4": "stage_4",
}

# Chapters every reader gets, whatever they ticked; the type and stage chapters are
# chosen per reader and are essential too.
ESSENTIAL_CHAPTERS = (
    "welcome",
    "what_is",
    "cell_types",
    "staging",
    "caregivers",
    "questions",
    "second_opinion",
    "glossary",
    "contact",
)

TITLES: dict[str, dict[str, str]] = {
    "en": {
        "welcome": "Welcome",
        "type_pleural": "Pleural mesothelioma",
        "type_peritoneal": "Peritoneal mesothelioma",
        "type_pericardial": "Pericardial mesothelioma",
        "type_testicular": "Testicular mesothelioma",
        "types_overview": "Finding out which type you have",
        "what_is": "What is mesothelioma?",
        "cell_types": "Cell types",
        "staging": "Understanding stages",
        "stage_early": "Stages 1 and 2",
        "stage_3": "Stage 3",
        "stage_4": "Stage 4",
        "stage_unknown": "When the stage is not known yet",
        "treatments": "Treatment options",
        "remission": "Remission and recurrence",
        "living_with": "Living with mesothelioma",
        "financial": "Help with costs",
        "va_benefits": "Benefits for veterans",
        "caregivers": "For caregivers and family",
        "questions": "Questions for your doctor",
        "second_opinion": "Getting a second opinion",
        "glossary": "Words you may hear",
        "contact": "How to reach us",
    },
    "es": {
        "welcome": "Bienvenida",
        "type_pleural": "Mesotelioma pleural",
        "type_peritoneal": "Mesotelioma peritoneal",
        "type_pericardial": "Mesotelioma pericárdico",
        "type_testicular": "Mesotelioma testicular",
        "types_overview": "Cómo saber qué tipo tiene",
        "what_is": "¿Qué es el mesotelioma?",
        "cell_types": "Tipos de células",
        "staging": "Cómo entender las etapas",
        "stage_early": "Etapas 1 y 2",
        "stage_3": "Etapa 3",
        "stage_4": "Etapa 4",
        "stage_unknown": "Cuando todavía no se conoce la etapa",
        "treatments": "Opciones de tratamiento",
        "remission": "Remisión y recurrencia",
        "living_with": "Vivir con mesotelioma",
        "financial": "Ayuda con los gastos",
        "va_benefits": "Beneficios para veteranos",
        "caregivers": "Para cuidadores y familiares",
        "questions": "Preguntas para su médico",
        "second_opinion": "Cómo obtener una segunda opinión",
        "glossary": "Palabras que puede escuchar",
        "contact": "Cómo comunicarse con nosotros",
    },
}

# Every chapter id that has a template, for checks that each language is complete.
ALL_CHAPTER_IDS = tuple(TITLES["en"])


@dataclass(frozen=True)
class Variant:
    """What personalises a guide: the facts that change its chapters, not who it is for.

    ``None`` (or ``"not_sure"``) means the reader did not tell us or does not know.
    Names, dates and matches are deliberately absent: they do not change the outline,
    so guides with equal variants share a cache entry.
    """

    diagnosis_type: str | None
    stage: str | None
    cell_type: str | None
    veteran: bool | None
    topics: frozenset[str]
    language: str = "en"
    has_matches: bool = False


@dataclass(frozen=True)
class Chapter:
    """One chapter of the guide: its template id and its title in the reader's language."""

    id: str
    title: str


def _known(value: str | None, allowed: tuple[str, ...]) -> str | None:
    """The value when it is one we write for, else None ("not sure" reads as unknown)."""
    if value is None:
        return None
    value = value.strip().lower()
    return value if value in allowed else None


def _language(v: Variant) -> str:
    """The guide's language, English when we have no translation for the one asked."""
    return _known(v.language, LANGUAGES) or "en"


def type_chapter(v: Variant) -> str:
    """The reader's own diagnosis chapter, or the overview when the type is not known."""
    diagnosis = _known(v.diagnosis_type, DIAGNOSIS_TYPES)
    return f"type_{diagnosis}" if diagnosis else "types_overview"


def stage_chapter(v: Variant) -> str:
    """The chapter for the reader's stage; stages 1 and 2 share one because care is alike."""
    stage = _known(v.stage, STAGES)
    return STAGE_CHAPTERS[stage] if stage else "stage_unknown"


def _wants_va(v: Variant) -> bool:
    """A veteran always gets the VA chapter; someone who did not say gets it if they asked."""
    if v.veteran is True:
        return True
    return v.veteran is None and "va_benefits" in v.topics


def chapter_ids(v: Variant) -> list[str]:
    """The chapter ids for this reader, in reading order."""
    ids = ["welcome", type_chapter(v), "what_is", "cell_types", "staging", stage_chapter(v)]
    for topic in ("treatment", "living_with", "financial"):
        if topic in v.topics:
            ids.extend(TOPIC_CHAPTERS[topic])
    if _wants_va(v):
        ids.extend(TOPIC_CHAPTERS["va_benefits"])
    ids.extend(["caregivers", "questions", "second_opinion", "glossary", "contact"])
    return ids


def chapters_for(v: Variant) -> list[Chapter]:
    """The chapters this reader's guide contains, titled in their language."""
    titles = TITLES[_language(v)]
    return [Chapter(id=chapter_id, title=titles[chapter_id]) for chapter_id in chapter_ids(v)]


def variant_key(v: Variant) -> str:
    """A short, stable string naming everything that changes the rendered guide.

    Unknown and "not sure" values collapse to ``x`` because they render the same;
    topics are sorted so set order never matters.
    """
    veteran = {True: "y", False: "n", None: "x"}[v.veteran]
    topics = "+".join(sorted(t for t in v.topics if t in TOPICS)) or "-"
    return "|".join(
        [
            _language(v),
            _known(v.diagnosis_type, DIAGNOSIS_TYPES) or "x",
            _known(v.stage, STAGES) or "x",
            _known(v.cell_type, CELL_TYPES) or "x",
            f"vet:{veteran}",
            topics,
            "m" if v.has_matches else "-",
        ]
    )
