"""Admin pages for staff: accounts (create, deactivate, password links), skills and shifts."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from intake.extensions import db
from intake.forms.auth import NewStaffForm
from intake.forms.outcome import QueueSettingsForm
from intake.models.user import User
from intake.queueing import shifts, skills
from intake.services.staff import audit, auth, mfa, staff_accounts, staff_sessions
from intake.views.admin.specialists import current_admin


def register(bp: Blueprint) -> None:
    """Attach these views to the admin blueprint (which checks the admin role)."""
    bp.add_url_rule("/staff", view_func=staff_list, methods=["GET"])
    bp.add_url_rule("/staff/<int:user_id>", view_func=staff_settings, methods=["GET", "POST"])
    bp.add_url_rule(
        "/staff/<int:user_id>/reset-second-step", view_func=reset_second_step, methods=["POST"]
    )
    bp.add_url_rule("/staff/new", view_func=new_staff, methods=["GET", "POST"])
    bp.add_url_rule("/staff/<int:user_id>/password-link", view_func=password_link, methods=["POST"])
    bp.add_url_rule(
        "/staff/<int:user_id>/deactivate", view_func=deactivate_staff, methods=["GET", "POST"]
    )
    bp.add_url_rule("/staff/<int:user_id>/reactivate", view_func=reactivate_staff, methods=["POST"])


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
            user.skills = skills.split(form.skills.data or "")
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


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _link_page(user: User, created: bool) -> ResponseReturnValue:
    """Where the link went: to the person's own address; no admin sees it or a password."""
    return render_template(
        "admin/staff_link.html", user=user, created=created, hours=staff_accounts.LINK_HOURS
    )


def new_staff() -> ResponseReturnValue:
    """Create an advocate or admin account; they set their own password through a link."""
    form = NewStaffForm()
    if form.validate_on_submit():
        try:
            user = staff_accounts.create(
                db.session(), current_admin(), form.email.data or "", form.role.data or "",
                form.name.data, (form.skills.data or "").split(","), request.remote_addr,
            )  # fmt: skip
        except auth.AccountError as exc:
            target = form.skills if "skill" in str(exc).lower() else form.email
            target.errors = [str(exc)]
        else:
            db.session.commit()
            return _link_page(user, created=True)
    return render_template("admin/staff_new.html", form=form), 400 if form.errors else 200


def password_link(user_id: int) -> ResponseReturnValue:
    """A fresh set-your-password link for someone who forgot theirs."""
    user = _user_or_404(user_id)
    if not user.active:
        abort(404)
    staff_accounts.reset_password(db.session(), current_admin(), user, request.remote_addr)
    db.session.commit()
    return _link_page(user, created=False)


def deactivate_staff(user_id: int) -> ResponseReturnValue:
    """Deactivate an account (GET asks first): every session it has ends at once."""
    user = _user_or_404(user_id)
    if user.id == current_admin().id:
        flash("You cannot deactivate your own account.", "error")
        return redirect(url_for("admin.staff_settings", user_id=user.id), code=303)
    if request.method != "POST":  # GET or HEAD (CSRF checks neither) only asks
        return render_template("admin/staff_deactivate.html", user=user)
    staff_accounts.set_active(db.session(), current_admin(), user, False, request.remote_addr)
    db.session.commit()
    flash(f"{user.email} is deactivated and signed out everywhere.", "success")
    return redirect(url_for("admin.staff_list"), code=303)


def reactivate_staff(user_id: int) -> ResponseReturnValue:
    """Let a deactivated person sign in again (with their old password, or a new link)."""
    user = _user_or_404(user_id)
    staff_accounts.set_active(db.session(), current_admin(), user, True, request.remote_addr)
    db.session.commit()
    flash(f"{user.email} can sign in again.", "success")
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
