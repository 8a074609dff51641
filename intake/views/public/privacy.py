"""``/privacy/delete``: ask us to delete your information, and the link that confirms it.

The form always answers the same sentence and does the same work (one
row with the address's keyed hash and a job, see ``services/privacy/deletion.py``),
so it never says whether we know an address.  The email goes only to the
address on file; its link shows what will be erased, and the button (a form
with a CSRF token, like every form here) erases it.
"""

from __future__ import annotations

import logging

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from intake.extensions import db, limiter
from intake.forms.privacy import DeletionRequestForm
from intake.logsafe import describe_failure
from intake.models import privacy
from intake.services.privacy import deletion
from intake.views.language import current_language

log = logging.getLogger(__name__)

# the same limits as the other public forms (``views/public/public.py``)
FORM_RATE_LIMIT = "30 per hour; 300 per day"
LINK_RATE_LIMIT = "60 per hour"
SAVE_FAILED = _l(
    "Sorry, something went wrong on our side and your request was not saved. "
    "Please press the button again, or call us."
)
NO_STORE = {"Cache-Control": "no-store"}


def register(bp: Blueprint) -> None:
    """Attach the deletion pages to the public blueprint."""
    ask = limiter.limit(FORM_RATE_LIMIT, methods=["POST"])(delete_request)
    bp.add_url_rule("/privacy/delete", "privacy_delete", ask, methods=["GET", "POST"])
    confirm = limiter.limit(LINK_RATE_LIMIT)(delete_confirm)
    bp.add_url_rule(
        "/privacy/delete/<token>", "privacy_delete_confirm", confirm, methods=["GET", "POST"]
    )


def delete_request() -> ResponseReturnValue:
    """The form; on a valid POST, the one answer whoever the address belongs to."""
    form = DeletionRequestForm()
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("public/privacy_delete.html", form=form, sent=False), status
    if not form.is_robot:
        try:
            deletion.request_deletion(db.session(), form.email.data, current_language())
            db.session.commit()
        except Exception as exc:  # nothing half-saved; the person keeps what they typed
            db.session.rollback()
            log.error("could not save a deletion request: %s", describe_failure(exc))
            form.form_errors.append(SAVE_FAILED)
            return render_template("public/privacy_delete.html", form=form, sent=False), 503
    return render_template("public/privacy_delete.html", form=form, sent=True), 200, NO_STORE


def delete_confirm(token: str) -> ResponseReturnValue:
    """What the link will erase and a button; on POST, erase it."""
    session = db.session()
    row = deletion.read_token(session, token)
    if row is None:
        return _confirm_page("invalid", token, 404)
    if row.status == privacy.ERASED:
        return _confirm_page("done", token, 200)
    if not deletion.is_open(row):
        return _confirm_page("expired", token, 410)
    if request.method != "POST":  # GET or HEAD (a mail scanner opening the link) changes nothing
        return _confirm_page("ask", token, 200)
    deletion.confirm(session, row.id)
    session.commit()
    return _confirm_page("done", token, 200)


def _confirm_page(state: str, token: str, status: int) -> ResponseReturnValue:
    page = render_template("public/privacy_delete_confirm.html", state=state, token=token)
    return page, status, NO_STORE
