"""Admin pages (``/admin``): every route needs a signed-in, active admin."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

from intake.dashboard import panels
from intake.extensions import db
from intake.forms.dashboard import DashboardRangeForm
from intake.services.ops import dashboard as dashboard_figures
from intake.views.access import no_store, require_admin
from intake.views.admin import api_keys as admin_api_keys
from intake.views.admin import audit as admin_audit
from intake.views.admin import fulfilment as admin_fulfilment
from intake.views.admin import imports as admin_import
from intake.views.admin import mail as admin_mail
from intake.views.admin import people as admin_people
from intake.views.admin import print_batches as admin_print_batches
from intake.views.admin import specialists as admin_specialists
from intake.views.admin import staff as admin_staff

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_admin)
bp.after_request(no_store)


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    """How the service is doing over a range of days (the last week unless asked), and where to go.

    Mistyped dates are said at their field (400) and the default week is shown meanwhile.
    """
    zone = ZoneInfo(current_app.config["STAFF_TIMEZONE"])
    form = DashboardRangeForm(request.args, today=dashboard_figures.today(zone))
    valid = form.validate()
    days = form.to_range(zone)
    form.fill_in(days)
    figures = dashboard_figures.build(db.session(), days)
    page = render_template("admin/dashboard.html", form=form, f=figures, panels=panels)
    return page, 200 if valid else 400


admin_specialists.register(bp)
admin_import.register(bp)
admin_mail.register(bp)
admin_fulfilment.register(bp)
admin_print_batches.register(bp)
admin_staff.register(bp)
admin_audit.register(bp)
admin_people.register(bp)
admin_api_keys.register(bp)
