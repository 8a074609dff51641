"""WTForms' own messages ("Not a valid choice.") in the page's language, read once.

Flask-WTF loads WTForms' catalogue from disk on every request that
validates a form (it caches it only on the request), which was 11-12% of
the public intake POST (``bench/RESULTS.md``, "The intake POST").  The
catalogue is a file shipped inside the wtforms package, so it cannot
change while the process runs: each language's is read once and kept.
"""

from __future__ import annotations

from functools import lru_cache

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale
from wtforms.i18n import messages_path


@lru_cache(maxsize=16)
def _catalogue(locale: str) -> support.NullTranslations:
    """WTForms' catalogue for one locale (``NullTranslations`` where it has none)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def catalogue() -> support.NullTranslations | None:
    """The catalogue for this request's language; ``None`` outside a request or without Babel."""
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    locale = get_locale()
    return _catalogue(str(locale)) if locale is not None else None


def get_translations(meta: object, form: object) -> support.NullTranslations | None:
    """``Meta.get_translations`` for our forms: as Flask-WTF's, with the catalogue kept.

    Called once per form: the page's language is looked up here, once, and
    not again for each message a field asks for (a label, a choice error).
    """
    return catalogue() if current_app.config.get("WTF_I18N_ENABLED", True) else None
