"""Admin pages for printed guides: the list to post, marking them mailed, the mailing-list CSV.

Print batches, made from this page, have their own views (``print_batches.py``).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from intake.extensions import db
from intake.services.email import fulfilment, print_batches
from intake.services.staff import audit
from intake.views.admin.specialists import current_admin


def register(bp: Blueprint) -> None:
    """Attach these views to the admin blueprint (which checks the admin role)."""
    bp.add_url_rule("/fulfilment", view_func=printed_copies, methods=["GET"])
    bp.add_url_rule("/fulfilment/mailed", view_func=mark_mailed, methods=["POST"])
    bp.add_url_rule("/fulfilment/export", view_func=export_mailing_list, methods=["GET"])


def printed_copies() -> ResponseReturnValue:
    """Copies waiting to be posted (names and addresses: an audited view), and the last mailed."""
    session = db.session()
    waiting = fulfilment.waiting(session)
    audit.record(
        session, current_admin(), "fulfilment.view", detail={"waiting": len(waiting)},
        ip=request.remote_addr,
    )  # fmt: skip
    session.commit()
    return render_template(
        "admin/fulfilment.html",
        waiting=waiting,
        batches=print_batches.open_batches(session),
        batch_limit=print_batches.BATCH_LIMIT,
        mailed=fulfilment.recently_mailed(session),
    )


def mark_mailed() -> ResponseReturnValue:
    """Mark the ticked copies as posted."""
    ids = [int(value) for value in request.form.getlist("item") if value.isdigit()]
    if not ids:
        flash("Tick the copies you have posted first.", "error")
        return redirect(url_for("admin.printed_copies"), code=303)
    session = db.session()
    changed = fulfilment.mark_mailed(session, ids, current_admin())
    audit.record(
        session, current_admin(), "fulfilment.mark_mailed", "fulfilment",
        ",".join(map(str, ids))[:80], {"count": changed}, request.remote_addr,
    )  # fmt: skip
    session.commit()
    flash(f"{changed} cop{'y' if changed == 1 else 'ies'} marked as mailed.", "success")
    return redirect(url_for("admin.printed_copies"), code=303)


def export_mailing_list() -> ResponseReturnValue:
    """The waiting copies as a CSV for a mail house (admin only, audited, spreadsheet-safe)."""
    session = db.session()
    waiting = fulfilment.waiting(session)
    body = fulfilment.mailing_list(waiting)
    audit.record(
        session, current_admin(), "fulfilment.export", detail={"rows": len(waiting)},
        ip=request.remote_addr,
    )  # fmt: skip
    session.commit()
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="mailing-list-{date.today()}.csv"'},
    )
