"""Admin pages (``/admin``): every route needs a signed-in, active admin."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from intake.extensions import db
from intake.services import specialist_admin
from intake.views import (
    admin_audit,
    admin_fulfilment,
    admin_import,
    admin_mail,
    admin_specialists,
    admin_staff,
)
from intake.views.access import no_store, require_admin

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_admin)
bp.after_request(no_store)


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    """The admin start page: where things stand and where to go."""
    counts = specialist_admin.listing_counts(db.session())
    return render_template("admin/dashboard.html", counts=counts)


admin_specialists.register(bp)
admin_import.register(bp)
admin_mail.register(bp)
admin_fulfilment.register(bp)
admin_staff.register(bp)
admin_audit.register(bp)
