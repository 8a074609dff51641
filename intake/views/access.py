"""Who may see staff pages: loading the signed-in user, role checks, safe redirects."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from intake.extensions import db, login_manager
from intake.models.user import User

F = TypeVar("F", bound=Callable[..., Any])
# Where each role lands after signing in, first registered endpoint wins.
HOME_ENDPOINTS = {"admin": ("admin.dashboard",), "advocate": ("advocate.queue_page",)}


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: a deactivated account is signed out on its next request."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


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
