"""Which language a page speaks: English or Spanish on public pages, English for staff.

The reader chooses with the "English | Español" switch (`?lang=es` on any
public URL), which is remembered in a strictly necessary cookie (no
tracking: it holds only "en" or "es"); before any choice the browser's
`Accept-Language` decides. Staff pages, the API and the ops endpoints stay
English: our team's language (PRODUCT.md section 8).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request, url_for
from flask_babel import get_locale

from intake.catalogues import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, compile_stale
from intake.config import PROJECT_ROOT

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
ENGLISH_ONLY_BLUEPRINTS = frozenset(
    {"admin", "advocate", "auth", "api", "api_leads", "api_docs", "ops"}
)
TRANSLATIONS = PROJECT_ROOT / "translations"


def chosen_language() -> str | None:
    """The language asked for in this request's `?lang=`, if it is one we speak."""
    asked = request.args.get("lang", "")
    return asked if asked in LANGUAGES else None


def is_public_request() -> bool:
    """Public pages speak the reader's language; everything staff-facing speaks English."""
    if request.blueprint in ENGLISH_ONLY_BLUEPRINTS:
        return False
    path = request.path
    return not path.startswith(("/admin", "/advocate", "/api/", "/login", "/logout", "/static/"))


def select_language() -> str:
    """The switch's choice, then the remembered one, then the browser's, then English."""
    try:
        public = is_public_request()
    except RuntimeError:  # outside a request (a worker rendering an email): English unless told
        return DEFAULT_LANGUAGE
    if not public:
        return DEFAULT_LANGUAGE
    chosen = chosen_language() or request.cookies.get(COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of the page being rendered ("en" or "es")."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def switch_url(language: str) -> str:
    """This page's own address in `language` (other query arguments kept)."""
    arguments: dict[str, Any] = request.args.to_dict(flat=False)
    arguments["lang"] = [language]
    endpoint = request.endpoint if request.method == "GET" and request.endpoint else None
    if endpoint is None or request.url_rule is None:
        return f"{request.path}?lang={language}"
    return url_for(endpoint, **(request.view_args or {}), **arguments)


def remember_choice(response: Response) -> Response:
    """Keep a `?lang=` choice in the cookie; tell caches the page depends on the language."""
    try:
        public = is_public_request()
    except RuntimeError:
        return response
    if not public:
        return response
    chosen = chosen_language()
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def register(app: Flask) -> None:
    """Compile stale catalogues, bind Flask-Babel and give templates the switch."""
    from intake.extensions import babel

    compile_stale(TRANSLATIONS)
    babel.init_app(
        app,
        locale_selector=select_language,
        default_translation_directories=str(TRANSLATIONS),
        default_timezone="UTC",
    )
    # a `{% trans %}` block's line breaks and indentation are layout, not words: one msgid
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.after_request(remember_choice)

    @app.context_processor
    def language_context() -> dict[str, object]:
        return {
            "current_language": current_language,
            "language_switch_url": switch_url,
            "language_switch_names": LANGUAGE_NAMES,
            "page_languages": LANGUAGES,
        }
