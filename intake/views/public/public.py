"""Public pages for patients and families: landing, guide, callback, privacy."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from intake import calling, extensions
from intake.extensions import db, limiter
from intake.forms.callback import CallbackForm
from intake.forms.guide import GuideForm
from intake.logsafe import describe_failure
from intake.services.inbox import references, submissions
from intake.services.people import consent
from intake.services.queue import waiting
from intake.tasking import announce_after_commit
from intake.views.language import current_language
from intake.views.public import privacy as deletion_pages
from intake.views.public import unsubscribe

bp = Blueprint("public", __name__)
log = logging.getLogger(__name__)
unsubscribe.register(bp)
deletion_pages.register(bp)

FORM_RATE_LIMIT = "30 per hour; 300 per day"
THANKS_MAX_AGE = 24 * 3600
SAVE_FAILED = _l(
    "Sorry, something went wrong on our side and your request was not saved. "
    "Please press the button again, or call us."
)


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"], kind)


@lru_cache(maxsize=8)
def _serializer_for(secret_key: str, kind: str) -> URLSafeTimedSerializer:
    """Built once per key and form: building one costs as much as signing with it."""
    return URLSafeTimedSerializer(secret_key, salt=f"thanks-{kind}")


def _thanks_url(endpoint: str, kind: str, submission_id: int, language: str) -> str:
    """The confirmation's address, in the language the form was shown in."""
    return url_for(endpoint, ref=_serializer(kind).dumps(submission_id), lang=language)


def _load_ref(kind: str) -> tuple[Any, str]:
    """The form a confirmation link points at, as it was sent, and the reference we give the
    person for it; 404 for a bad or expired link."""
    try:
        submission_id = _serializer(kind).loads(request.args.get("ref", ""), max_age=THANKS_MAX_AGE)
    except BadSignature:
        abort(404)
    received = submissions.load(db.session(), submission_id, kind)
    if received is None:
        abort(404)
    return received, references.reference_for(submission_id)


def _client_ip() -> str | None:
    return request.remote_addr


@bp.get("/")
def index() -> ResponseReturnValue:
    """The landing page: three ways we can help."""
    return render_template("public/index.html")


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    """How we handle personal and health information."""
    return render_template("public/privacy.html")


@bp.route("/guide", methods=["GET", "POST"])
@limiter.limit(FORM_RATE_LIMIT, methods=["POST"])
def guide() -> ResponseReturnValue:
    """The free guide request form."""
    form = GuideForm()
    if form.validate_on_submit():
        saved_id = _save(submissions.GUIDE, form)
        if saved_id is not None:
            thanks = _thanks_url("public.guide_thanks", "guide", saved_id, form.shown_in.data)
            return redirect(thanks, code=303)
    return _form_page("public/guide.html", submissions.GUIDE, form)


@bp.get("/guide/thanks")
def guide_thanks() -> ResponseReturnValue:
    """Confirmation after a guide request."""
    received, reference = _load_ref(submissions.GUIDE)
    return render_template("public/guide_thanks.html", guide_request=received, reference=reference)


# Answers another page (the specialist match) may hand over in the link to this form.
CALLBACK_PREFILL = ("diagnosis_type", "stage", "zip", "veteran")


def _callback_prefill() -> dict[str, str]:
    """Known answers from the query string, trimmed; the form escapes and re-checks them."""
    return {name: request.args[name][:10] for name in CALLBACK_PREFILL if request.args.get(name)}


@bp.route("/callback", methods=["GET", "POST"])
@limiter.limit(FORM_RATE_LIMIT, methods=["POST"])
def callback() -> ResponseReturnValue:
    """The 'speak to a patient advocate' form."""
    form = CallbackForm(data=_callback_prefill()) if request.method == "GET" else CallbackForm()
    if form.validate_on_submit():
        saved_id = _save(submissions.CALLBACK, form)
        if saved_id is not None:
            thanks = _thanks_url("public.callback_thanks", "callback", saved_id, form.shown_in.data)
            return redirect(thanks, code=303)
    return _form_page("public/callback.html", submissions.CALLBACK, form)


def _form_page(template: str, kind: str, form: Any) -> ResponseReturnValue:
    """A form with the consent words of this page's language (the ones the ledger records)."""
    wordings = consent.shown_on(kind, current_language())
    return render_template(template, form=form, wordings=wordings), _status(form)


@bp.get("/callback/thanks")
def callback_thanks() -> ResponseReturnValue:
    """Confirmation after a callback request, saying honestly when to expect the call."""
    received, reference = _load_ref(submissions.CALLBACK)
    place = calling.place_for(received.case.state, received.case.timezone, received.case.zip)
    return render_template(
        "public/callback_thanks.html",
        callback_request=received,
        reference=reference,
        expectation=waiting.expectation(db.session(), place, received.best_time),
        calling_hours=waiting.calling_hours(place),
    )


def _save(kind: str, form: Any) -> int | None:
    """Commit the form as one sealed submission; its id, or None after an error.

    The worker builds the leads from it (``services/inbox/submissions.py``); this
    request only makes sure it can no longer be lost before saying thanks.
    """
    try:
        with extensions.autocommit_connection() as connection:
            submission_id = submissions.receive(
                connection, kind, form.to_submission(), _client_ip(), form.shown_in.data
            )
    except Exception as exc:  # any failure: nothing half-saved, the person keeps what they typed
        log.error("could not save a %s submission: %s", request.endpoint, describe_failure(exc))
        form.form_errors.append(SAVE_FAILED)
        return None
    announce_after_commit(submission_id)
    return submission_id


def _status(form: Any) -> int:
    """200 for a fresh form, 400 when input needs fixing, 503 when we failed to save."""
    if SAVE_FAILED in form.form_errors:
        return 503
    return 400 if form.errors else 200
