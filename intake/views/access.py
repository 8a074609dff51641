"""Who may see staff pages: loading the signed-in user, role checks, safe redirects."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from intake import extensions
from intake.extensions import db, login_manager
from intake.models.user import User
from intake.services.staff import staff_sessions

F = TypeVar("F", bound=Callable[..., Any])
# Where each role lands after signing in, first registered endpoint wins.
HOME_ENDPOINTS = {"admin": ("admin.dashboard",), "advocate": ("advocate.queue_page",)}


SESSION_TOKEN = "sid"  # noqa: S105 (a cookie key name, not a secret): the key of the server-side session's token in the signed cookie
ENDED_MESSAGES = {
    "idle": "For your patients' privacy you were signed out after "
    f"{staff_sessions.IDLE_MINUTES} minutes without activity. Please sign in again.",
    "expired": f"Sessions last at most {staff_sessions.ABSOLUTE_HOURS} hours. "
    "Please sign in again.",
}


def is_background_request() -> bool:
    """The console's own refreshes: they keep a session alive only as long as the person is."""
    return request.headers.get("X-Background") == "1"


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the cookie must name a live server-side session.

    A deactivated account, a signed-out, idle or expired session: anonymous
    from this request on (the sign-in page says why).
    """
    if not user_id.isdigit():
        return None
    # The check runs on its own connection, committed at once, before this request's session
    # has begun: a GET that writes nothing else still records the activity (or the end).
    with extensions.autocommit_connection() as connection, Session(bind=connection) as own:
        verdict = staff_sessions.check(
            own, session.get(SESSION_TOKEN), int(user_id), active=not is_background_request()
        )
        own.commit()
    if not verdict.ok:
        session.pop(SESSION_TOKEN, None)
        if verdict.reason in ENDED_MESSAGES and not is_background_request():
            flash(ENDED_MESSAGES[verdict.reason], "info")
        return None
    return db.session.get(User, int(user_id))


def deny_unless(role: str) -> ResponseReturnValue | None:
    """None when the current user has ``role``; otherwise the sign-in redirect or a 403 page."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != role:
        return render_template("auth/forbidden.html", role=role), 403
    return None


def require_staff() -> ResponseReturnValue | None:
    """A ``before_request`` hook for the advocate console: advocates, and admins who oversee it."""
    if current_user.is_authenticated and current_user.role in ("advocate", "admin"):
        return None
    return deny_unless("advocate")


def require_admin() -> ResponseReturnValue | None:
    """A ``before_request`` hook: a whole blueprint for admins, so no route can forget it."""
    return deny_unless("admin")


def admin_required(view: F) -> F:
    """Decorate a view outside the admin blueprint that only admins may use."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return deny_unless("admin") or view(*args, **kwargs)

    return cast(F, wrapped)


def safe_next(target: str | None) -> str | None:
    """A ``next`` address only if it is a path on this site (no open redirects)."""
    if not target:
        return None
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    """The page a staff member starts on after signing in."""
    for endpoint in HOME_ENDPOINTS.get(user.role, ()):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("auth.login")


def no_store(response: Any) -> Any:
    """Staff pages are never cached by the browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def init_login(app: Flask) -> None:
    """Bind Flask-Login: where to sign in, how to load the user, what to say."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    app.context_processor(session_timeout_context)


def session_timeout_context() -> dict[str, int]:
    """What the idle warning on staff pages needs to know.

    The page leaves a minute before the server would end the session: the
    server hears of activity at most every 30 seconds, so it may lag that much.
    """
    idle = staff_sessions.IDLE_MINUTES * 60
    return {
        "idle_minutes": staff_sessions.IDLE_MINUTES,
        "idle_seconds": idle - 60,
        "warn_seconds": staff_sessions.WARN_SECONDS,
    }
