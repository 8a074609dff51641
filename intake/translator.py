"""The message catalogue in a language chosen by the caller, not by a request.

A page speaks the request's language through Flask-Babel.  The guide is
drawn in the worker and the API answers in the ``language`` it is asked
for, so they ask here for the same catalogue's words in the reader's
language: the page, the guide and the API then say one thing.
"""

from __future__ import annotations

from functools import lru_cache

from babel.support import NullTranslations, Translations

from intake.catalogues import DEFAULT_LANGUAGE, LANGUAGES
from intake.config import PROJECT_ROOT
from intake.matching.wording import Gettext, Wording

TRANSLATIONS = PROJECT_ROOT / "translations"


def spoken(language: str | None) -> str:
    """The language we write for a reader: theirs when we have its words, else English."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def gettext_for(language: str) -> Gettext:
    """The catalogue's gettext for one of our languages (English: the msgids themselves)."""
    language = spoken(language)
    mo = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    # keyed by the compiled file's time, so a catalogue compiled after the first call is read
    stamp = mo.stat().st_mtime_ns if mo.exists() else 0
    return _translations(language, stamp).gettext


@lru_cache(maxsize=8)
def _translations(language: str, _stamp: int) -> NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language])


def wording(language: str | None) -> Wording:
    """Reasons in the reader's language, or in English for a language we do not write."""
    chosen = spoken(language)
    return Wording(chosen, gettext_for(chosen))
