"""The audit log for admins: who saw or changed what, filtered, paged and exported."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue

from intake.extensions import db
from intake.services.staff import audit_log
from intake.views.admin.specialists import current_admin
from intake.views.filters import staff_zone


def register(bp: Blueprint) -> None:
    """Attach these views to the admin blueprint (which checks the admin role)."""
    bp.add_url_rule("/audit", view_func=audit_page, methods=["GET"])
    bp.add_url_rule("/audit/export", view_func=audit_export, methods=["GET"])


def audit_page() -> ResponseReturnValue:
    """Newest first, 100 a page, times and days in the team's zone; mistakes said at the field."""
    filters, errors = audit_log.parse(request.args)
    before = request.args.get("before", "")
    older_than = int(before) if before.isdigit() else None
    rows = audit_log.page(db.session(), filters, older_than, staff_zone())
    return render_template(
        "admin/audit.html", rows=rows, filters=filters, errors=errors,
        actions=audit_log.actions(db.session()), more=len(rows) == audit_log.PAGE,
        args={k: v for k, v in request.args.items() if k != "before"},
    ), 400 if errors else 200  # fmt: skip


def audit_export() -> ResponseReturnValue:
    """The filtered rows as CSV; exporting the log is itself recorded in it."""
    filters, errors = audit_log.parse(request.args)
    if errors:
        return audit_page()
    text = audit_log.export(
        db.session(), filters, current_admin(), request.remote_addr, staff_zone()
    )
    db.session.commit()
    filename = f"audit-log-{datetime.now(staff_zone()).date().isoformat()}.csv"
    return Response(
        text, mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )  # fmt: skip
