"""The words of a reason, in the reader's language: the same sentence on the page, in the guide
and from the API.

The matching rules return reasons as codes and facts (``types.Reason``);
here they become words.  Every sentence is an English msgid of the message
catalogue, marked with ``_`` so ``pybabel extract`` finds it; a ``Wording``
looks it up with the gettext of the language being written (the request's
on a page, ``intake.translator`` in the worker and the API).  Whole
sentences, not fragments: Spanish words agree with their nouns ("mesotelioma
pericárdico") and a language's name sits inside its own sentence ("habla
español").  Kept free of Flask, like the rest of matching.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from intake.matching.types import CANCER_TYPES, LANGUAGE_LABELS, TREATMENTS, Reason

Gettext = Callable[[str], str]


def _(message: str) -> str:
    """Marks a msgid for the catalogue; a ``Wording`` translates it when it is said."""
    return message


TREATMENT_WORDS = {
    "surgery_epp": _("extrapleural pneumonectomy (EPP)"),
    "surgery_pd": _("pleurectomy/decortication (P/D)"),
    "crs_hipec": _("cytoreductive surgery with HIPEC"),
    "chemotherapy": _("chemotherapy"),
    "immunotherapy": _("immunotherapy"),
    "radiation": _("radiation therapy"),
    "clinical_trials": _("clinical trials"),
    "palliative_care": _("palliative care"),
}
SPECIALTY_WORDS = {
    "thoracic_surgery": _("thoracic surgery"),
    "surgical_oncology": _("surgical oncology"),
    "medical_oncology": _("medical oncology"),
    "radiation_oncology": _("radiation oncology"),
    "pulmonology": _("pulmonology"),
    "palliative_care": _("palliative care"),
}
# a type as an adjective of "mesothelioma" (Spanish: "mesotelioma pericárdico")
TYPE_WORDS = {
    "pleural": _("pleural"),
    "peritoneal": _("peritoneal"),
    "pericardial": _("pericardial"),
    "testicular": _("testicular"),
}
SPEAKS = {
    code: sentence
    for code, sentence in {
        "en": _("speaks English"),
        "es": _("speaks Spanish"),
        "zh": _("speaks Chinese"),
        "vi": _("speaks Vietnamese"),
        "tl": _("speaks Tagalog"),
        "ko": _("speaks Korean"),
        "ru": _("speaks Russian"),
        "ar": _("speaks Arabic"),
        "fr": _("speaks French"),
        "ht": _("speaks Haitian Creole"),
        "de": _("speaks German"),
        "it": _("speaks Italian"),
        "pt": _("speaks Portuguese"),
        "pl": _("speaks Polish"),
        "el": _("speaks Greek"),
        "hi": _("speaks Hindi"),
        "ja": _("speaks Japanese"),
        "uk": _("speaks Ukrainian"),
        "he": _("speaks Hebrew"),
        "yi": _("speaks Yiddish"),
        "fa": _("speaks Persian"),
        "ur": _("speaks Urdu"),
        "bn": _("speaks Bengali"),
        "pa": _("speaks Punjabi"),
        "gu": _("speaks Gujarati"),
        "hy": _("speaks Armenian"),
    }.items()
    if code in LANGUAGE_LABELS
}
CELL_TYPE_SENTENCES = {
    "sarcomatoid": _("offers immunotherapy, usually the first treatment for sarcomatoid "
                     "mesothelioma"),
    "biphasic": _("offers immunotherapy, usually the first treatment for biphasic mesothelioma"),
}  # fmt: skip
SURGERY_SENTENCES = {
    "peritoneal": _("performs {treatments}, the main surgery for peritoneal mesothelioma"),
    "pleural": _("performs {treatments}, the operations used for pleural mesothelioma"),
    "": _("performs {treatments}, surgery for mesothelioma"),
}
# codes whose sentence has no facts to fill in
FIXED = {
    "palliative_specialist": _(
        "a palliative care specialist: relief from pain, breathlessness and other symptoms"
    ),
    "lung_specialist": _("a lung specialist (pulmonology) who can help with breathing"),
    "lung_symptoms": _("a lung specialist who helps with breathing and fluid around the lungs"),
    "clinical_trials": _("offers clinical trials of new treatments"),
    "va": _("accepts VA benefits"),
    "telehealth": _("sees patients by video"),
}
_ONE_OF_THE_USUAL = _("offers {treatments}, one of the usual options at stage {stage}")
_THE_USUAL = _("offers {treatments}, the usual options at stage {stage}")
_TREATS = _("treats {types}")
_TREATS_AND_OFFERS = _("treats {types}; offers {treatments}")
_TREATS_WITH_PALLIATIVE = _("treats {types} and offers palliative care")
_TEAM = _("part of a team of surgeons and oncologists for {types} at {institution}")
_SPEAKS_CODE = _("speaks {language}")
_DISTANCE = _("{miles} miles from {zip}")
_MESOTHELIOMA = _("mesothelioma")
_KINDS_OF_MESOTHELIOMA = _("{kinds} mesothelioma")
_AND = _("and")


@dataclass(frozen=True)
class Wording:
    """Reasons said in one language, with that language's catalogue."""

    language: str = "en"
    gettext: Gettext = _

    def join(self, words: list[str]) -> str:
        """'a', 'a and b', 'a, b and c' (Spanish: 'a, b y c', and 'e' before an 'i' sound)."""
        if len(words) == 1:
            return words[0]
        last = words[-1]
        conjunction = self.gettext(_AND)
        if self.language == "es" and _starts_with_i_sound(last):
            conjunction = "e"
        return f"{', '.join(words[:-1])} {conjunction} {last}"

    def treatments(self, codes: Iterable[str]) -> list[str]:
        """Treatment names in vocabulary order, as they read inside a sentence."""
        wanted = set(codes)
        return [self.gettext(TREATMENT_WORDS[t]) for t in TREATMENTS if t in wanted]

    def types(self, kinds: tuple[str, ...]) -> str:
        """'pleural mesothelioma', 'pleural and peritoneal mesothelioma', or 'mesothelioma'."""
        named = [self.gettext(TYPE_WORDS[k]) for k in CANCER_TYPES if k in kinds]
        if not named:
            return self.gettext(_MESOTHELIOMA)
        return self.gettext(_KINDS_OF_MESOTHELIOMA).format(kinds=self.join(named))

    def miles(self, miles: float) -> str:
        """A distance as this language writes it (``distance_words``)."""
        return distance_words(miles, self.language)

    def reason(self, reason: Reason) -> str:
        """One reason as a sentence in this language (lower case first, as a list item reads)."""
        say, code = self.gettext, reason.code
        if code in FIXED:
            return say(FIXED[code])
        if code == "fits_stage":
            usual = _THE_USUAL if len(reason.treatments) > 1 else _ONE_OF_THE_USUAL
            return say(usual).format(treatments=self._offered(reason), stage=reason.stage)
        if code == "surgery":
            kind = reason.cancer_types[0] if reason.cancer_types else ""
            return say(SURGERY_SENTENCES[kind]).format(treatments=self._offered(reason))
        if code == "treats":
            types = self.types(reason.cancer_types)
            if not reason.treatments:
                return say(_TREATS).format(types=types)
            return say(_TREATS_AND_OFFERS).format(types=types, treatments=self._offered(reason))
        if code == "treats_with_palliative":
            return say(_TREATS_WITH_PALLIATIVE).format(types=self.types(reason.cancer_types))
        if code == "team":
            types = self.types(reason.cancer_types)
            return say(_TEAM).format(types=types, institution=reason.institution)
        if code == "cell_type":
            return say(CELL_TYPE_SENTENCES[reason.cell_type])
        if code == "language":
            if reason.language in SPEAKS:
                return say(SPEAKS[reason.language])
            return say(_SPEAKS_CODE).format(language=reason.language)
        if code == "distance":
            return say(_DISTANCE).format(miles=self.miles(reason.miles or 0.0), zip=reason.zip)
        raise ValueError(f"no words for the reason {code!r}")

    def reasons(self, reasons: Iterable[Reason], distance: bool = True) -> tuple[str, ...]:
        """Every reason as a sentence; ``distance=False`` leaves out the distance (shown apart)."""
        return tuple(self.reason(r) for r in reasons if distance or r.code != "distance")

    def _offered(self, reason: Reason) -> str:
        return self.join(self.treatments(reason.treatments))


def distance_words(miles: float, language: str) -> str:
    """Miles to one decimal, '38.2': the cards, the reasons and the guide write them alike.

    Spanish groups thousands as US Hispanic readers do, like everyone else in
    the US ('1,494.3 millas', not '1.494,3'); English keeps the form its
    pages have always shown ('1494.3').
    """
    return f"{miles:,.1f}" if language == "es" else f"{miles:.1f}"


def _starts_with_i_sound(word: str) -> bool:
    """Spanish writes 'e' for 'y' before an 'i' sound: 'quimioterapia e inmunoterapia'."""
    lower = word.lower()
    return lower.startswith(("i", "í")) or (
        lower.startswith(("hi", "hí")) and lower[2:3] not in "aeé"
    )


def capitalised(sentence: str) -> str:
    """A reason as it starts a line or a list item: its first letter a capital."""
    return sentence[:1].upper() + sentence[1:]


ENGLISH = Wording()
