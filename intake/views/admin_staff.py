"""Admin pages for staff: who works the queue, with which skills, on which shifts.

The minimal page the callback queue needs; creating accounts, deactivating
them and password resets come with the admin console.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from intake.extensions import db
from intake.forms.outcome import QueueSettingsForm
from intake.models.user import User
from intake.queueing import shifts
from intake.services import audit, mfa, staff_sessions
from intake.views.admin_specialists import current_admin


def register(bp: Blueprint) -> None:
    """Attach these views to the admin blueprint (which checks the admin role)."""
    bp.add_url_rule("/staff", view_func=staff_list, methods=["GET"])
    bp.add_url_rule("/staff/<int:user_id>", view_func=staff_settings, methods=["GET", "POST"])
    bp.add_url_rule(
        "/staff/<int:user_id>/reset-second-step", view_func=reset_second_step, methods=["POST"]
    )


def staff_list() -> ResponseReturnValue:
    """Every staff account with its skills and shifts."""
    users = list(db.session.scalars(select(User).order_by(User.role, User.email)))
    return render_template("admin/staff.html", users=users, describe=shifts.describe)


def staff_settings(user_id: int) -> ResponseReturnValue:
    """Set one person's skills, time zone and shifts."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = QueueSettingsForm()
    if request.method == "GET":
        form.skills.data = ", ".join(user.skills or [])
        form.timezone.data = user.timezone
        form.shifts.data = "\n".join(shifts.describe([entry]) for entry in user.shifts or [])
    elif form.validate_on_submit():
        parsed = _parse(form)
        if parsed is not None:
            user.skills = sorted(
                {s.strip().lower() for s in (form.skills.data or "").split(",") if s.strip()}
            )
            user.timezone, user.shifts = form.timezone.data, parsed
            fields = {"fields": ["skills", "timezone", "shifts"]}
            audit.record(db.session(), current_admin(), "user.queue_settings", "user", user.id,
                         fields, request.remote_addr)  # fmt: skip
            db.session.commit()
            flash(f"Saved {user.email}'s skills and shifts.", "success")
            return redirect(url_for("admin.staff_list"), code=303)
    return render_template(
        "admin/staff_settings.html", form=form, user=user
    ), 400 if form.errors else 200


def reset_second_step(user_id: int) -> ResponseReturnValue:
    """An admin lost their phone: forget their second step and end their sessions."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    mfa.reset(user)
    staff_sessions.end_all_for(db.session(), user.id, "mfa_reset")
    audit.record(db.session(), current_admin(), "mfa.reset", "user", user.id, {},
                 request.remote_addr)  # fmt: skip
    db.session.commit()
    flash(f"{user.email} will set up a new second step at their next sign-in.", "success")
    return redirect(url_for("admin.staff_settings", user_id=user.id), code=303)


def _parse(form: QueueSettingsForm) -> list[dict[str, object]] | None:
    try:
        ZoneInfo(form.timezone.data or "")
    except (ZoneInfoNotFoundError, ValueError):
        form.timezone.errors = ["Use a time zone name like America/Chicago."]
        return None
    parsed = []
    for line in (form.shifts.data or "").splitlines():
        if not line.strip():
            continue
        try:
            parsed.append(shifts.parse_line(line))
        except ValueError as error:
            form.shifts.errors = [str(error)]
            return None
    return parsed
