"""Admin pages for print batches: make one from the ticked copies, download it, mark it mailed.

Every download (a batch's PDF or mailing list, one copy's PDF) holds names
and addresses, so each is recorded in the audit log with what it held.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from intake.extensions import db
from intake.models.fulfilment import CANCELLED, FulfilmentItem, PrintBatch
from intake.services.email import print_batches
from intake.services.staff import audit
from intake.views.admin.specialists import current_admin


def register(bp: Blueprint) -> None:
    """Attach these views to the admin blueprint (which checks the admin role)."""
    bp.add_url_rule("/fulfilment/batches", view_func=create_print_batch, methods=["POST"])
    bp.add_url_rule("/fulfilment/batches/<int:batch_id>", view_func=print_batch, methods=["GET"])
    bp.add_url_rule(
        "/fulfilment/batches/<int:batch_id>/guides.pdf", view_func=print_batch_pdf, methods=["GET"]
    )
    bp.add_url_rule(
        "/fulfilment/batches/<int:batch_id>/mailing-list.csv",
        view_func=print_batch_mailing_list, methods=["GET"],
    )  # fmt: skip
    bp.add_url_rule(
        "/fulfilment/batches/<int:batch_id>/mailed", view_func=mark_batch_mailed, methods=["POST"]
    )
    bp.add_url_rule(
        "/fulfilment/<int:item_id>/guide.pdf", view_func=printed_copy_pdf, methods=["GET"]
    )


def _batch_or_404(batch_id: int) -> PrintBatch:
    batch = db.session.get(PrintBatch, batch_id)
    if batch is None:
        abort(404)
    return batch


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def create_print_batch() -> ResponseReturnValue:
    """A batch of the ticked copies, then its page (where the PDF and the list are)."""
    ids = [int(value) for value in request.form.getlist("item") if value.isdigit()]
    if not ids:
        flash("Tick the copies to print first.", "error")
        return redirect(url_for("admin.printed_copies"), code=303)
    session = db.session()
    try:
        batch = print_batches.create(session, ids, current_admin())
    except print_batches.BatchRefused as refused:
        session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("admin.printed_copies"), code=303)
    count = len(print_batches.items(session, batch))
    audit.record(
        session, current_admin(), "fulfilment.batch_create", "print_batch", batch.id,
        {"count": count}, request.remote_addr,
    )  # fmt: skip
    session.commit()
    flash(f"Batch {batch.id} holds {count} cop{'y' if count == 1 else 'ies'}.", "success")
    return redirect(url_for("admin.print_batch", batch_id=batch.id), code=303)


def print_batch(batch_id: int) -> ResponseReturnValue:
    """One batch's copies in print order (names and addresses: an audited view)."""
    batch = _batch_or_404(batch_id)
    session = db.session()
    listed = print_batches.items(session, batch)
    audit.record(
        session, current_admin(), "fulfilment.batch_view", "print_batch", batch.id,
        {"count": len(listed)}, request.remote_addr,
    )  # fmt: skip
    session.commit()
    return render_template("admin/print_batch.html", batch=batch, items=listed)


def print_batch_pdf(batch_id: int) -> ResponseReturnValue:
    """The batch as one PDF: each person's address sheet, then their guide, in list order."""
    batch = _batch_or_404(batch_id)
    session = db.session()
    listed = print_batches.items(session, batch)
    if not listed:
        flash("This batch has no copies left to print.", "error")
        return redirect(url_for("admin.print_batch", batch_id=batch.id), code=303)
    body = print_batches.batch_pdf(session, batch, listed)
    audit.record(
        session, current_admin(), "fulfilment.batch_pdf", "print_batch", batch.id,
        {"count": len(listed)}, request.remote_addr,
    )  # fmt: skip
    session.commit()
    return _download(body, "application/pdf", f"print-batch-{batch.id}.pdf")


def print_batch_mailing_list(batch_id: int) -> ResponseReturnValue:
    """The batch's mailing list, in the PDF's order (spreadsheet-safe)."""
    batch = _batch_or_404(batch_id)
    session = db.session()
    body = print_batches.mailing_list(session, batch)
    audit.record(
        session, current_admin(), "fulfilment.batch_export", "print_batch", batch.id,
        {"rows": len(print_batches.items(session, batch))}, request.remote_addr,
    )  # fmt: skip
    session.commit()
    return _download(body, "text/csv", f"print-batch-{batch.id}-mailing-list.csv")


def mark_batch_mailed(batch_id: int) -> ResponseReturnValue:
    """Mark every copy in the batch as posted."""
    batch = _batch_or_404(batch_id)
    session = db.session()
    changed = print_batches.mark_mailed(session, batch, current_admin())
    audit.record(
        session, current_admin(), "fulfilment.batch_mailed", "print_batch", batch.id,
        {"count": changed}, request.remote_addr,
    )  # fmt: skip
    session.commit()
    flash(f"Batch {batch.id}: {changed} cop{'y' if changed == 1 else 'ies'} marked as mailed.",
          "success")  # fmt: skip
    return redirect(url_for("admin.printed_copies"), code=303)


def printed_copy_pdf(item_id: int) -> ResponseReturnValue:
    """One copy's address sheet and guide, to print it on its own."""
    item = db.session.get(FulfilmentItem, item_id)
    if item is None or item.status == CANCELLED:
        abort(404)
    session = db.session()
    body = print_batches.copy_pdf(session, item)
    audit.record(
        session, current_admin(), "fulfilment.copy_pdf", "fulfilment", item.id,
        ip=request.remote_addr,
    )  # fmt: skip
    session.commit()
    return _download(body, "application/pdf", f"printed-copy-{item.id}.pdf")
