"""Staff sign-in and sign-out."""

from __future__ import annotations

from flask import (
    Blueprint,
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
from flask_login import current_user, login_user, logout_user

from intake.extensions import db, limiter
from intake.forms.auth import LoginForm, LogoutForm
from intake.services import audit, auth
from intake.views.access import home_for, no_store, safe_next

bp = Blueprint("auth", __name__)
bp.after_request(no_store)

LOGIN_FAILED = "Email or password is incorrect."


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login() -> ResponseReturnValue:
    """The staff sign-in form; on success go to ``next`` (a local path) or the role's home."""
    if current_user.is_authenticated and request.method == "GET":
        return render_template("auth/signed_in.html", home=home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        result = auth.authenticate(
            db.session(), form.email.data or "", form.password.data or "", request.remote_addr
        )
        db.session.commit()  # failures count towards the lockout too
        if result.ok and result.user is not None:
            _fresh_session()
            login_user(result.user)
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
        db.session.commit()
        logout_user()
        _fresh_session()
        flash("You have signed out.", "info")
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/logout.html", form=form)


def _fresh_session() -> None:
    """Nothing from before a sign-in (or after a sign-out) carries over, CSRF token included."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
