"""``/unsubscribe/<token>``: the link in every email's footer and its one-click POST (RFC 8058).

A person who follows the link sees what it will do and confirms with a
button (a normal form, with a CSRF token).  A mail client's one-click
unsubscribe POSTs ``List-Unsubscribe=One-Click`` with no cookie and no
token, and must work at once: that exact body is the one documented
exception to CSRF on this site (the signed token in the URL is the proof).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from intake.extensions import csrf, db, limiter
from intake.services.email import unsubscribe

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def register(bp: Blueprint) -> None:
    """Attach the unsubscribe page to the public blueprint."""
    view = csrf.exempt(limiter.limit("60 per hour")(unsubscribe_page))
    bp.add_url_rule("/unsubscribe/<token>", view_func=view, methods=["GET", "POST"])


def _subscriber(token: str) -> unsubscribe.Subscriber:
    subscriber = unsubscribe.read_token(token)
    if subscriber is None:
        abort(404)
    return subscriber


def unsubscribe_page(token: str) -> ResponseReturnValue:
    """Show what unsubscribing does; on POST, do it."""
    subscriber = _subscriber(token)
    if request.method != "POST":  # GET or HEAD (a mail scanner opening the link) changes nothing
        return render_template("public/unsubscribe.html", token=token, done=False)
    one_click = request.form.to_dict() == ONE_CLICK
    if not one_click:
        csrf.protect()  # a person's button press carries a token like every form here
    unsubscribe.unsubscribe(db.session(), subscriber)
    db.session.commit()
    if one_click:
        return Response(_("You are unsubscribed from our emails.") + "\n", mimetype="text/plain")
    return render_template("public/unsubscribe.html", token=token, done=True)
