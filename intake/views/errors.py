"""Friendly error pages: never a stack trace, and a CSRF failure keeps what was typed."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from intake.logsafe import describe_failure, redact_links
from intake.views.api.problems import Problem, problem_response

log = logging.getLogger(__name__)

TOO_MANY_MESSAGE = (
    "We have had a lot of requests from your connection in a short time. Please wait a few "
    "minutes and try again. Nothing you already sent is lost."
)
CSRF_MESSAGE = (
    "For your security this page timed out before it was sent. Nothing was saved yet: "
    "please check your details and press the button again."
)

TOO_LARGE_MESSAGE = (
    "What you sent was much longer than our forms accept, so nothing was saved. "
    "Please go back, shorten it and try again, or call us."
)


OWN_WORDS = {
    404: "The link may be old or mistyped. You can start again from our home page, or call us.",
    405: "This page cannot be used that way. Please go back and try again from the page itself.",
}
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
    from intake.views.language import current_language

    forms: dict[str, tuple[str, Any]] = {
        "public.guide": ("public/guide.html", GuideForm),
        "public.callback": ("public/callback.html", CallbackForm),
        "public.privacy_delete": ("public/privacy_delete.html", DeletionRequestForm),
    }
    if request.endpoint in forms:
        template, form_class = forms[request.endpoint]
        form = form_class()
        form.form_errors.append(CSRF_MESSAGE)
        # the consent words of the page's language, as the form's own view shows them
        kind = request.endpoint.removeprefix("public.")
        wordings = consent.shown_on(kind, current_language()) if kind in consent.FORM_TEXTS else {}
        return render_template(template, form=form, wordings=wordings), 400
    return _page(400, "This page timed out", CSRF_MESSAGE)


def _http_error(error: HTTPException) -> ResponseReturnValue:
    if request.path.startswith("/api/v1/leads"):
        # routing errors (404, 405) never reach the partner API's own handler: same shape here
        detail = API_WORDS.get(error.code or 0, error.description or error.name)
        response = problem_response(Problem(error.code or 500, detail))
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response
    if request.path.startswith(("/api/", "/healthz", "/readyz")):
        return {"error": error.name, "detail": error.description}, error.code or 500
    titles = {404: "We could not find that page", 429: "Too many requests", 405: "Not allowed"}
    if error.code in OWN_WORDS:  # not Werkzeug's stock sentences
        return _page(error.code, titles[error.code], OWN_WORDS[error.code])
    if error.code == 413:
        return _page(413, "That was too much to send", TOO_LARGE_MESSAGE)
    if error.code == 429:
        return _page(429, titles[429], TOO_MANY_MESSAGE)
    return _page(error.code or 500, titles.get(error.code or 0, error.name), error.description)


def _unexpected_error(error: Exception) -> ResponseReturnValue:
    path = redact_links(request.path)  # a secret link's token never reaches the log
    log.error("unhandled error on %s %s: %s", request.method, path, describe_failure(error))
    return _page(
        500, "Something went wrong on our side", "Please try again in a moment, or call us."
    )


def _page(status: int, title: str, message: str | None) -> ResponseReturnValue:
    return render_template("errors/error.html", status=status, title=title, message=message), status


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
