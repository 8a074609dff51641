"""Admin pages for partner API keys: list, create (the key shown once), revoke; all audited."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from intake.extensions import db
from intake.services.inbox import api_keys
from intake.views.admin.specialists import current_admin


class NewApiKeyForm(FlaskForm):
    """Which partner the new key is for (a new name creates the partner)."""

    partner = StringField(
        "Partner organisation",
        validators=[InputRequired("Please name the partner."), Length(max=80)],
    )


def register(bp: Blueprint) -> None:
    """Attach these views to the admin blueprint (which checks the admin role)."""
    bp.add_url_rule("/api-keys", view_func=api_keys_page, methods=["GET"])
    bp.add_url_rule("/api-keys", view_func=create_api_key, methods=["POST"])
    bp.add_url_rule("/api-keys/<int:key_id>/revoke", view_func=revoke_api_key, methods=["POST"])


def api_keys_page(form: NewApiKeyForm | None = None, status: int = 200) -> ResponseReturnValue:
    """Every key with its partner, prefix and state; the form for a new one."""
    keys = api_keys.list_keys(db.session())
    page = render_template(
        "admin/api_keys.html", keys=keys, form=form or NewApiKeyForm(), revoke_form=FlaskForm()
    )
    return page, status


def create_api_key() -> ResponseReturnValue:
    """Make a key and show it this once: only its hash is kept."""
    form = NewApiKeyForm()
    if not form.validate_on_submit():
        return api_keys_page(form, 400)
    try:
        issued = api_keys.create_key(
            db.session(), form.partner.data, current_admin(), request.remote_addr
        )
    except api_keys.KeyError_ as exc:
        form.partner.errors = [str(exc)]
        return api_keys_page(form, 400)
    db.session.commit()
    return render_template("admin/api_key_created.html", issued=issued)


def revoke_api_key(key_id: int) -> ResponseReturnValue:
    """Stop a key working at once."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        key = api_keys.revoke_key(db.session(), key_id, current_admin(), request.remote_addr)
    except api_keys.KeyError_:
        abort(404)
    db.session.commit()
    flash(f"Key {key.prefix} of {key.partner.name} is revoked.", "info")
    return redirect(url_for("admin.api_keys_page"), code=303)
