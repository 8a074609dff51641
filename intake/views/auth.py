"""Staff sign-in and sign-out."""

from __future__ import annotations

import hashlib
import logging
import time

from flask import (
    Blueprint,
    Response,
    abort,
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
from intake.forms.auth import LoginForm, LogoutForm, SecondFactorForm, SetPasswordForm
from intake.models.user import User
from intake.services.staff import audit, auth, mfa, sign_in_throttle, staff_accounts, staff_sessions
from intake.views.access import SESSION_TOKEN, home_for, no_store, safe_next

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
bp.after_request(no_store)

LOGIN_FAILED = "Email or password is incorrect."

# Sign-in throttling (counted in Redis, so it holds across gunicorn workers). Failed attempts
# are counted per account and address: someone guessing from one place is stopped after a few,
# and the real person, signing in from their own address, is not locked out by them.  Every
# address has its own ceiling on attempts of any kind.  Guessing one account from many
# addresses slows those addresses down, never the account (``sign_in_throttle``).  The keys
# hold a hash of the typed email, never the email itself; a refusal is the same 429, before
# any password is checked, whether the account exists or not.
ATTEMPTS_PER_ADDRESS = "10 per minute; 200 per day"
FAILURES_PER_ACCOUNT_AND_ADDRESS = "5 per 15 minutes"


def _account_key() -> str:
    typed = auth.normalise_email(str(request.form.get("email", ""))[:320])
    return "sign-in:" + hashlib.sha256(typed.encode()).hexdigest()


def _account_and_address_key() -> str:
    return f"{_account_key()}:{get_remote_address()}"


def _failed(response: Response) -> bool:
    """Only a failed attempt counts (a success redirects; a refusal checked no password)."""
    return response.status_code not in (303, 429)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ATTEMPTS_PER_ADDRESS, methods=["POST"])
@limiter.limit(
    FAILURES_PER_ACCOUNT_AND_ADDRESS,
    key_func=_account_and_address_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login() -> ResponseReturnValue:
    """The staff sign-in form; on success go to ``next`` (a local path) or the role's home."""
    if current_user.is_authenticated and request.method == "GET":
        return render_template("auth/signed_in.html", home=home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        account, address = _account_key(), get_remote_address()
        if sign_in_throttle.password_held_back(account, address):
            abort(429)
        result = auth.authenticate(
            db.session(), form.email.data or "", form.password.data or "", request.remote_addr
        )
        db.session.commit()  # the attempt's audit row, success or not
        if not result.ok:
            sign_in_throttle.note_wrong_password(account, address)
        if result.ok and result.user is not None:
            target = safe_next(request.args.get("next")) or home_for(result.user)
            if mfa.required(result.user):
                _fresh_session()  # nothing signed in yet: the second step decides
                session[MFA_USER] = result.user.id
                session[MFA_SINCE] = int(time.time())
                session[MFA_NEXT] = target
                return redirect(url_for("auth.second_factor"), code=303)
            _complete_sign_in(result.user)
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


# An admin who typed the right password has this long to give the second factor.
MFA_WINDOW_SECONDS = 300
MFA_USER, MFA_SINCE, MFA_NEXT = "mfa_user", "mfa_since", "mfa_next"
FAILURES_PER_SECOND_STEP = "5 per 15 minutes"
WRONG_CODE = "That code did not work. Use the newest code your app shows, or a recovery code."
CODES_PAUSED = (
    "Too many wrong codes were entered for this account, so code entry is paused for up to an "
    "hour. Please try again later, or ask another administrator to help."
)


def _second_step_key() -> str:
    return f"second-factor:{session.get(MFA_USER)}:{get_remote_address()}"


def _wrong_code(response: Response) -> bool:
    return response.status_code == 400


def _pending_user() -> User | None:
    """The admin between password and second factor, if that step has not timed out."""
    user_id, since = session.get(MFA_USER), session.get(MFA_SINCE)
    if not isinstance(user_id, int) or not isinstance(since, int):
        return None
    if time.time() - since > MFA_WINDOW_SECONDS:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


@bp.route("/login/second-factor", methods=["GET", "POST"])
@limiter.limit(
    FAILURES_PER_SECOND_STEP, key_func=_second_step_key, methods=["POST"], deduct_when=_wrong_code
)
def second_factor() -> ResponseReturnValue:
    """Admins: the code from their authenticator app, set up here the first time."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user), code=303)
    user = _pending_user()
    if user is None:
        for key in (MFA_USER, MFA_SINCE, MFA_NEXT):
            session.pop(key, None)
        flash("Please sign in again: the second step has to follow the password within "
              "five minutes.", "info")  # fmt: skip
        return redirect(url_for("auth.login"), code=303)
    form = SecondFactorForm()
    enrolling = not mfa.is_enrolled(user)
    if enrolling:
        mfa.begin_enrolment(user)
        db.session.commit()
    paused = False
    if form.validate_on_submit():
        paused = sign_in_throttle.codes_paused(user.id)
        if paused:
            form.code.errors = [CODES_PAUSED]  # no code is checked, right or wrong
        else:
            signed_in = _accept_code(user, form.code.data or "", enrolling)
            if signed_in is not None:
                return signed_in
            _refuse_code(user)
            form.code.errors = [WRONG_CODE]
    context = {}
    if enrolling and user.totp_pending:
        uri = mfa.provisioning_uri(user, user.totp_pending)
        context = {"qr": mfa.qr_data_uri(uri), "key": mfa.grouped(user.totp_pending)}
    status = 429 if paused else 400 if form.errors else 200
    return render_template(
        "auth/second_factor.html", form=form, enrolling=enrolling, **context
    ), status


def _accept_code(user: User, typed: str, enrolling: bool) -> ResponseReturnValue | None:
    """Sign in on a right code (which, the first time, turns the second step on); else None."""
    target = session.get(MFA_NEXT) or home_for(user)
    if enrolling:
        codes = mfa.finish_enrolment(db.session(), user, typed)
        if codes is None:
            return None
        audit.record(db.session(), user, "mfa.enrol", "user", user.id, {}, request.remote_addr)
        _complete_sign_in(user)
        return render_template("auth/recovery_codes.html", codes=codes, target=target)
    method = mfa.verify(db.session(), user, typed)
    if method is None:
        return None
    audit.record(db.session(), user, "mfa.success", "user", user.id, {"method": method},
                 request.remote_addr)  # fmt: skip
    _complete_sign_in(user)
    if method == "recovery":
        left = len(user.recovery_codes or [])
        flash(f"You used a recovery code: {left} left. Each works once.", "info")
    return redirect(target, code=303)


def _refuse_code(user: User) -> None:
    """Audit a wrong code; the one that reaches the account's ceiling pauses code entry."""
    audit.record(db.session(), user, "mfa.failure", "user", user.id, {}, request.remote_addr)
    if sign_in_throttle.note_wrong_code(user.id):
        ceiling = sign_in_throttle.WRONG_CODE_CEILING
        audit.record(db.session(), user, "mfa.paused", "user", user.id, {"wrong_codes": ceiling},
                     request.remote_addr)  # fmt: skip
        log.warning("second step paused for staff user %s: wrong codes from any address "
                    "reached %s", user.id, sign_in_throttle.WRONG_CODES_PER_ACCOUNT)  # fmt: skip
    db.session.commit()


@bp.route("/staff/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(ATTEMPTS_PER_ADDRESS, methods=["POST"])
def set_password(token: str) -> ResponseReturnValue:
    """Choose a password through the one-time link we emailed you (an admin asked for it)."""
    try:
        user = staff_accounts.user_for_link(db.session(), token)
    except staff_accounts.LinkError as exc:
        return render_template("auth/link_expired.html", reason=str(exc)), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            staff_accounts.use_link(db.session(), token, form.password.data or "",
                                    request.remote_addr)  # fmt: skip
        except auth.AccountError as exc:
            form.password.errors = [str(exc)]
        else:
            db.session.commit()
            _fresh_session()
            flash("Your password is set. Please sign in with it.", "success")
            return redirect(url_for("auth.login"), code=303)
    return render_template("auth/set_password.html", form=form, user=user), (
        400 if form.errors else 200
    )


def _complete_sign_in(user: User) -> None:
    """A fresh session for a fully signed-in person, kept on the server."""
    _fresh_session()  # nothing from before signing in carries over
    login_user(user, remember=False)
    session[SESSION_TOKEN] = staff_sessions.start(db.session(), user)
    db.session.commit()


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
