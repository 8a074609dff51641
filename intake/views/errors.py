"""Friendly error pages: never a stack trace, and a CSRF failure keeps what was typed.

Every status has our own heading and message (``error_words``), chosen from the
message catalogue in the public page's language (the switch, its cookie, the
browser), in English on staff pages, which keep the staff layout.  Werkzeug's
own sentences never reach a page.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from intake.catalogues import LANGUAGES
from intake.logsafe import describe_failure, redact_links
from intake.views.api.problems import Problem, problem_response
from intake.views.error_words import (  # noqa: F401 (tests)
    CSRF,
    CSRF_MESSAGE,
    TOO_LARGE_MESSAGE,
    TOO_MANY_MESSAGE,
    in_language,
    words_for,
)
from intake.views.language import current_language

log = logging.getLogger(__name__)

STAFF_PATHS = ("/advocate", "/admin", "/login", "/logout", "/staff")
API_WORDS = {
    404: "Nothing is at this address. The partner API's endpoints are listed at /api/docs.",
    405: "This endpoint does not take this method: the Allow header names the ones it takes.",
}
# Pages that show what someone typed about a diagnosis (a search, a prefilled form): a shared
# computer's cache or a proxy must not keep them.
NO_STORE_ENDPOINTS = frozenset({
    "public.guide_thanks", "public.callback_thanks", "public.callback", "public.guide",
    "match.find_specialists", "auth.set_password",
})  # fmt: skip


def register(app: Flask) -> None:
    """Install the handlers on the app."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.after_request(_security_headers)


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    """Re-show a public form with a fresh token and the person's input, instead of a bare 400."""
    from intake.forms.callback import CallbackForm
    from intake.forms.guide import GuideForm
    from intake.forms.privacy import DeletionRequestForm
    from intake.services.people import consent

    forms: dict[str, tuple[str, Any]] = {
        "public.guide": ("public/guide.html", GuideForm),
        "public.callback": ("public/callback.html", CallbackForm),
        "public.privacy_delete": ("public/privacy_delete.html", DeletionRequestForm),
    }
    if request.endpoint in forms:
        template, form_class = forms[request.endpoint]
        form = form_class()
        form.form_errors.append(in_language(CSRF, _language()).message)
        # the consent words of the page's language, as the form's own view shows them
        kind = request.endpoint.removeprefix("public.")
        wordings = consent.shown_on(kind, current_language()) if kind in consent.FORM_TEXTS else {}
        return render_template(template, form=form, wordings=wordings), 400
    return _page(400, in_language(CSRF, _language()))


def _http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    if request.path.startswith("/api/v1/leads"):
        # routing errors (404, 405) never reach the partner API's own handler: same shape here
        detail = API_WORDS.get(status) or _own_description(error)
        response = problem_response(Problem(status, detail))
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response
    if request.path.startswith(("/api/", "/healthz", "/readyz")):
        code = error.name.lower().replace(" ", "_").replace("'", "")  # "not_found": a code
        return {"error": code, "detail": _own_description(error)}, status
    return _page(status, words_for(status, _language(), _is_staff_path()))


def _own_description(error: HTTPException) -> str:
    """A description a view chose for this error, else our own words (never Werkzeug's)."""
    stock = type(error).description
    if error.description and error.description != stock:
        return error.description
    return words_for(error.code or 500).message


def _unexpected_error(error: Exception) -> ResponseReturnValue:
    path = redact_links(request.path)  # a secret link's token never reaches the log
    log.error("unhandled error on %s %s: %s", request.method, path, describe_failure(error))
    return _page(500, words_for(500, _language(), _is_staff_path()))


def _language() -> str:
    """The public page's language (the switch, its cookie, the browser); staff pages English."""
    if _is_staff_path():
        return "en"
    language = current_language()
    return language if language in LANGUAGES else "en"


def _is_staff_path() -> bool:
    return any(request.path == p or request.path.startswith(p + "/") for p in STAFF_PATHS)


def _page(status: int, words: Any) -> ResponseReturnValue:
    """Our page for an error: the staff layout on staff pages, the public one elsewhere."""
    language = _language()
    context = {"status": status, "title": words.title, "message": words.message,
               "language": language}  # fmt: skip
    if _is_staff_path():
        try:
            return render_template("errors/staff_error.html", **context), status
        except Exception as failure:  # the staff layout reads the session: never a bare 500
            log.error("staff error page failed: %s", describe_failure(failure))
    return render_template("errors/error.html", **context), status


def _security_headers(response):  # type: ignore[no-untyped-def]
    """Only our own assets; no framing; personal pages never cached."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if "token" in (request.view_args or {}):
        # A secret link's page: its URL must not travel on as a Referer (a proxy's log keeps
        # those); the origin alone still does, which Flask-WTF's CSRF check asks for on HTTPS.
        response.headers["Referrer-Policy"] = "strict-origin"
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.method == "POST" or request.endpoint in NO_STORE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    hsts = current_app.config.get("HSTS_SECONDS") or 0
    if hsts:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={int(hsts)}; includeSubDomains"
        )
    return response
