"""Public pages for patients and families: landing, guide, callback, privacy."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer

from intake import calling_hours
from intake.extensions import db, limiter
from intake.forms.callback import CallbackForm
from intake.forms.guide import GuideForm
from intake.logsafe import describe_failure
from intake.models.callback import CallbackRequest
from intake.models.request import GuideRequest
from intake.services import consent, leads
from intake.tasking import relay_after_commit

bp = Blueprint("public", __name__)
log = logging.getLogger(__name__)

FORM_RATE_LIMIT = "30 per hour; 300 per day"
THANKS_MAX_AGE = 24 * 3600
SAVE_FAILED = (
    "Sorry, something went wrong on our side and your request was not saved. "
    "Please press the button again, or call us."
)


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"thanks-{kind}")


def _thanks_url(endpoint: str, kind: str, request_id: int) -> str:
    return url_for(endpoint, ref=_serializer(kind).dumps(request_id))


def _load_ref(kind: str, model: Any) -> Any:
    """The request a confirmation link points at; 404 for a bad or expired link."""
    try:
        request_id = _serializer(kind).loads(request.args.get("ref", ""), max_age=THANKS_MAX_AGE)
    except BadSignature:
        abort(404)
    return db.get_or_404(model, request_id)


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
        saved_id = _save(leads.submit_guide_request, form)
        if saved_id is not None:
            return redirect(_thanks_url("public.guide_thanks", "guide", saved_id), code=303)
    return render_template("public/guide.html", form=form, consent=consent), _status(form)


@bp.get("/guide/thanks")
def guide_thanks() -> ResponseReturnValue:
    """Confirmation after a guide request."""
    guide_request = _load_ref("guide", GuideRequest)
    return render_template("public/guide_thanks.html", guide_request=guide_request)


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
        saved_id = _save(leads.submit_callback_request, form)
        if saved_id is not None:
            return redirect(_thanks_url("public.callback_thanks", "callback", saved_id), code=303)
    return render_template("public/callback.html", form=form, consent=consent), _status(form)


@bp.get("/callback/thanks")
def callback_thanks() -> ResponseReturnValue:
    """Confirmation after a callback request, saying honestly when to expect the call."""
    callback_request = _load_ref("callback", CallbackRequest)
    tz = callback_request.case.timezone if callback_request.case else None
    return render_template(
        "public/callback_thanks.html",
        callback_request=callback_request,
        expectation=calling_hours.expectation(tz, callback_request.best_time),
    )


def _save(submit: Any, form: Any) -> int | None:
    """Run the intake service and commit once; the saved request id, or None after an error."""
    try:
        outcome = submit(db.session(), form.to_submission(), _client_ip())
        request_id = outcome.request.id  # read before commit expires it (saves a query)
        db.session.commit()
    except Exception as exc:  # any failure: nothing half-saved, the person keeps what they typed
        db.session.rollback()
        log.error("could not save a %s submission: %s", request.endpoint, describe_failure(exc))
        form.form_errors.append(SAVE_FAILED)
        return None
    relay_after_commit(outcome.outbox_ids)
    return request_id


def _status(form: Any) -> int:
    """200 for a fresh form, 400 when input needs fixing, 503 when we failed to save."""
    if SAVE_FAILED in form.form_errors:
        return 503
    return 400 if form.errors else 200
