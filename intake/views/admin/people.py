"""Admin pages for one person's rights: find them, export their data, erase it.

For a request made by phone or letter (the public page handles email):
the admin finds the contact by email, phone or contact number, then
downloads everything we hold about them as JSON, or erases it.  Each
search, export and erasure is one audit event with ids and counts only.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from intake.extensions import db
from intake.forms.privacy import PersonSearchForm, is_contact_number
from intake.models.contact import Contact
from intake.services.privacy import erasure, subject_access
from intake.services.staff import audit
from intake.views.admin.specialists import current_admin


def register(bp: Blueprint) -> None:
    """Attach these views to the admin blueprint (which checks the admin role)."""
    bp.add_url_rule("/people", view_func=people_page, methods=["GET", "POST"])
    bp.add_url_rule("/people/export", view_func=export_person, methods=["POST"])
    bp.add_url_rule("/people/erase", view_func=erase_person, methods=["POST"])


def people_page() -> ResponseReturnValue:
    """Search (POST, so an address never sits in a URL or an access log) and show who was found."""
    form = PersonSearchForm()
    people: list[Contact] = []
    searched = False
    if form.validate_on_submit():
        searched = True
        session = db.session()
        contact_id = int(form.contact_id.data) if form.contact_id.data else None
        phone = getattr(form.phone, "e164", None)
        people = subject_access.find_people(session, form.email.data, phone, contact_id)
        by = "id" if contact_id is not None else "email" if form.email.data else "phone"
        audit.record(session, current_admin(), "privacy.search", "contact",
                     people[0].id if len(people) == 1 else None,
                     {"by": by, "found": len(people)}, request.remote_addr)  # fmt: skip
        session.commit()
    status = 400 if form.errors else 200
    return render_template("admin/people.html", form=form, people=people, searched=searched), status


def _contact_or_404() -> Contact:
    raw = request.form.get("contact_id", "")
    number = int(raw) if is_contact_number(raw) and len(raw) < 12 else None
    contact = db.session.get(Contact, number) if number is not None else None
    if contact is None:
        abort(404)
    return contact


def export_person() -> ResponseReturnValue:
    """Everything we hold about the contact, decrypted, as a JSON download (audited)."""
    contact = _contact_or_404()
    body = subject_access.export_json(db.session(), contact, current_admin(), request.remote_addr)
    db.session.commit()
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="contact-{contact.id}-data.json"',
            "Cache-Control": "no-store",
        },
    )


def erase_person() -> ResponseReturnValue:
    """Erase the contact's personal data, once the admin has ticked that they checked who asked."""
    contact = _contact_or_404()
    if request.form.get("confirmed") != "yes":
        flash("Tick the box to say you have checked the request is really theirs.", "error")
        return redirect(url_for("admin.people_page"), code=303)
    erased = erasure.erase_contact(db.session(), contact.id, "admin", current_admin())
    db.session.commit()
    if erased is None:
        flash(f"Contact {contact.id} was already erased.", "info")
    else:
        flash(f"Contact {contact.id}'s personal data is erased.", "success")
    return redirect(url_for("admin.people_page"), code=303)
