"""Links in an email open their page in the email's language.

A Spanish email's "call me back", unsubscribe and delete links end with
``lang=es``: the page reads the choice (``views/language.py``), remembers it,
and the reader never meets English on the way from a Spanish email.
"""

from __future__ import annotations

from intake.catalogues import LANGUAGES


def in_language(url: str, language: str) -> str:
    """The link with the email's language as ``lang=`` (untouched for one we do not write)."""
    if language not in LANGUAGES:
        return url
    return f"{url}{'&' if '?' in url else '?'}lang={language}"


def links_for(language: str, base_url: str, unsubscribe_url: str) -> dict[str, str]:
    """Every email's own links, in its language: unsubscribe, call me back, delete my data."""
    return {
        "unsubscribe_url": in_language(unsubscribe_url, language),
        "callback_url": in_language(f"{base_url}/callback", language),
        "delete_url": in_language(f"{base_url}/privacy/delete", language),
    }
