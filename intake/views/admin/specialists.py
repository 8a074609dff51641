"""Admin pages for specialist listings: list, search, create, edit, deactivate, export."""

from __future__ import annotations

from datetime import date
from typing import cast

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from intake.extensions import db
from intake.forms.specialist import ActionForm, SpecialistForm, SpecialistSearchForm, form_values
from intake.matching import types as vocab
from intake.models.specialist import Specialist
from intake.models.user import User
from intake.services.directory import specialist_admin, specialists
from intake.views.access import safe_next


def register(bp: Blueprint) -> None:
    """Attach these views to the admin blueprint (which checks the admin role)."""
    bp.add_url_rule("/specialists", view_func=list_specialists, methods=["GET"])
    bp.add_url_rule("/specialists/new", view_func=create_specialist, methods=["GET", "POST"])
    bp.add_url_rule(
        "/specialists/<listing_id>/edit", view_func=edit_specialist, methods=["GET", "POST"]
    )
    bp.add_url_rule(
        "/specialists/<listing_id>/deactivate",
        view_func=deactivate_specialist,
        methods=["GET", "POST"],
    )
    bp.add_url_rule(
        "/specialists/<listing_id>/reactivate", view_func=reactivate_specialist, methods=["POST"]
    )
    bp.add_url_rule("/specialists/export", view_func=export_specialists, methods=["GET"])


def current_admin() -> User:
    """The signed-in admin, as the plain model the services expect."""
    return cast(User, current_user._get_current_object())


def _listing_or_404(listing_id: str) -> Specialist:
    specialist = specialist_admin.get_listing(db.session(), listing_id)
    if specialist is None:
        abort(404)
    return specialist


def list_specialists() -> ResponseReturnValue:
    """Every listing, searchable and filterable, 50 a page."""
    form = SpecialistSearchForm(request.args)
    page = specialist_admin.search_listings(
        db.session(), form.to_filters(), request.args.get("page", 1, type=int) or 1
    )
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/specialists.html", form=form, page=page, query=query, vocab=vocab)


def create_specialist() -> ResponseReturnValue:
    """A new listing, checked by the same rules as a CSV row."""
    form = SpecialistForm()
    if form.validate_on_submit():
        try:
            specialist_admin.create_listing(
                db.session(), form.row, current_admin(), request.remote_addr
            )
        except specialist_admin.DuplicateListing:
            form.listing_id.errors.append("Listing ID is already used by another listing.")
        else:
            db.session.commit()
            flash(f"Listing {form.row['listing_id']} was added.", "success")
            return redirect(url_for("admin.list_specialists", q=form.row["listing_id"]), 303)
    status = 400 if form.errors else 200
    return render_template("admin/specialist_form.html", form=form, specialist=None), status


def edit_specialist(listing_id: str) -> ResponseReturnValue:
    """Change a listing; its listing_id stays (imports upsert on it)."""
    specialist = _listing_or_404(listing_id)
    initial = form_values(specialists.as_row(specialist)) if request.method == "GET" else None
    form = SpecialistForm(data=initial)
    form.listing_id.data = specialist.listing_id
    if form.validate_on_submit():
        changed = specialist_admin.update_listing(
            db.session(), specialist, form.row, current_admin(), request.remote_addr
        )
        db.session.commit()
        flash(f"Listing {listing_id} was saved." if changed else "Nothing was changed.", "success")
        return redirect(url_for("admin.list_specialists", q=listing_id), 303)
    status = 400 if form.errors else 200
    return render_template("admin/specialist_form.html", form=form, specialist=specialist), status


def deactivate_specialist(listing_id: str) -> ResponseReturnValue:
    """Hide a listing from matching without deleting it; GET asks to confirm first."""
    if request.method != "POST":  # GET or HEAD (CSRF checks neither) only asks
        specialist = _listing_or_404(listing_id)
        back = safe_next(request.args.get("next")) or url_for("admin.list_specialists")
        return render_template("admin/confirm_deactivate.html", specialist=specialist, back=back)
    return _set_active(listing_id, False)


def reactivate_specialist(listing_id: str) -> ResponseReturnValue:
    """Show a deactivated listing in matches again."""
    return _set_active(listing_id, True)


def _set_active(listing_id: str, active: bool) -> ResponseReturnValue:
    specialist = _listing_or_404(listing_id)
    form = ActionForm()
    if not form.validate_on_submit():  # CSRFProtect already refused a bad token
        abort(400)
    specialist_admin.set_listing_active(
        db.session(), specialist, active, current_admin(), request.remote_addr
    )
    db.session.commit()
    state = (
        "reactivated: it can appear in matches" if active else "deactivated: hidden from matches"
    )
    flash(f"Listing {listing_id} was {state}.", "success")
    back = safe_next(form.next.data) or url_for("admin.list_specialists")
    return redirect(back, 303)


def export_specialists() -> ResponseReturnValue:
    """Download every listing as CSV, in the import format (the export is audited)."""
    text = specialist_admin.export_listings(db.session(), current_admin(), request.remote_addr)
    db.session.commit()
    filename = f"specialists-{date.today().isoformat()}.csv"
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
