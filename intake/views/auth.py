"""Staff sign-in and sign-out."""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from intake.extensions import db, limiter
from intake.forms.auth import LoginForm, LogoutForm
from intake.services import audit, auth, staff_sessions
from intake.views.access import SESSION_TOKEN, home_for, no_store, safe_next

bp = Blueprint("auth", __name__)
bp.after_request(no_store)

LOGIN_FAILED = "Email or password is incorrect."

# Sign-in throttling (counted in Redis, so it holds across gunicorn workers). Failed attempts
# are counted per account and address: someone guessing from one place is stopped after a few,
# and the real person, signing in from their own address, is not locked out by them.  A wider
# ceiling per account holds against guessing from many addresses, and every address has its
# own ceiling on attempts of any kind.  The keys hold a hash of the typed email, never the
# email itself; a refusal is the same 429, before any password is checked, whether the
# account exists or not.
ATTEMPTS_PER_ADDRESS = "10 per minute; 200 per day"
FAILURES_PER_ACCOUNT_AND_ADDRESS = "5 per 15 minutes"
FAILURES_PER_ACCOUNT = "30 per hour"


def _account_key() -> str:
    typed = auth.normalise_email(str(request.form.get("email", ""))[:320])
    return "sign-in:" + hashlib.sha256(typed.encode()).hexdigest()


def _account_and_address_key() -> str:
    return f"{_account_key()}:{get_remote_address()}"


def _failed(response: Response) -> bool:
    """Only a failed attempt counts (a success answers with a redirect)."""
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ATTEMPTS_PER_ADDRESS, methods=["POST"])
@limiter.limit(
    FAILURES_PER_ACCOUNT_AND_ADDRESS,
    key_func=_account_and_address_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(FAILURES_PER_ACCOUNT, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login() -> ResponseReturnValue:
    """The staff sign-in form; on success go to ``next`` (a local path) or the role's home."""
    if current_user.is_authenticated and request.method == "GET":
        return render_template("auth/signed_in.html", home=home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        result = auth.authenticate(
            db.session(), form.email.data or "", form.password.data or "", request.remote_addr
        )
        db.session.commit()  # the attempt's audit row, success or not
        if result.ok and result.user is not None:
            _fresh_session()  # a new session: nothing from before signing in carries over
            login_user(result.user, remember=False)
            session[SESSION_TOKEN] = staff_sessions.start(db.session(), result.user)
            db.session.commit()
            target = safe_next(request.args.get("next")) or home_for(result.user)
            return redirect(target, code=303)
        form.form_errors.append(LOGIN_FAILED)
    next_path = safe_next(request.args.get("next"))
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form, next=next_path), status


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    """GET asks to confirm; POST (with its CSRF token) signs out."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    form = LogoutForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        audit.record(db.session(), user, "logout", "user", user.id, {}, request.remote_addr)
        staff_sessions.end(db.session(), session.get(SESSION_TOKEN), "signed_out")
        db.session.commit()
        logout_user()
        _fresh_session()
        flash("You have signed out.", "info")
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/logout.html", form=form)


@bp.post("/session/keepalive")
def keepalive() -> ResponseReturnValue:
    """A staff page's "still here" (activity, "Stay signed in"): 204 while the session lives."""
    if not current_user.is_authenticated:
        return "", 401
    return "", 204


def _fresh_session() -> None:
    """Nothing from before a sign-in (or after a sign-out) carries over, CSRF token included."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
