"""Admin pages for outgoing mail: failed emails (with resend) and the demo's local mailbox.

A message in the local mailbox addressed to a staff account (a set-your-password
link, an alert) opens in full for that person only; other admins see who it
went to, when and its subject, never its text: one admin must not be able to
take another's account over with the link.
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from intake.extensions import db
from intake.mail import mailbox
from intake.services.email import emails
from intake.services.staff import audit, staff_accounts
from intake.views.admin.specialists import current_admin


def register(bp: Blueprint) -> None:
    """Attach these views to the admin blueprint (which checks the admin role)."""
    bp.add_url_rule("/emails", view_func=failed_emails, methods=["GET"])
    bp.add_url_rule("/emails/<int:delivery_id>/resend", view_func=resend_email, methods=["POST"])
    bp.add_url_rule("/mailbox", view_func=mailbox_list, methods=["GET"])
    bp.add_url_rule("/mailbox/<message_id>", view_func=mailbox_message, methods=["GET"])
    bp.add_url_rule("/mailbox/<message_id>/html", view_func=mailbox_html, methods=["GET"])
    bp.add_url_rule(
        "/mailbox/<message_id>/attachments/<int:index>",
        view_func=mailbox_attachment,
        methods=["GET"],
    )
    bp.add_url_rule(
        "/mailbox/<message_id>/attachments/<int:index>/download",
        view_func=mailbox_attachment_download,
        methods=["GET"],
    )


def failed_emails() -> ResponseReturnValue:
    """Emails that failed or may not have arrived, with the reason, for a person to act on."""
    session = db.session()
    rows = emails.needing_attention(session)
    audit.record(
        session, current_admin(), "emails.view_failed", detail={"rows": len(rows)},
        ip=request.remote_addr,
    )  # fmt: skip
    session.commit()
    return render_template("admin/emails.html", rows=rows)


def resend_email(delivery_id: int) -> ResponseReturnValue:
    """Try a failed or unknown email again, once a person has decided to."""
    session = db.session()
    delivery = emails.resend(session, delivery_id)
    if delivery is None:
        flash("That email cannot be resent (already sent, still queued, or the address bounced).",
              "error")  # fmt: skip
        return redirect(url_for("admin.failed_emails"), code=303)
    audit.record(
        session, current_admin(), "email.resend", "email_delivery", delivery_id,
        ip=request.remote_addr,
    )  # fmt: skip
    session.commit()
    flash(f"Email {delivery_id} will be sent again within a minute.", "success")
    return redirect(url_for("admin.failed_emails"), code=303)


def _folder() -> Path:
    """The local mailbox; a 404 when this deployment sends to a real SMTP server."""
    if not current_app.config.get("LOCAL_MAILBOX"):
        abort(404)
    return Path(current_app.config["MAILBOX_DIR"])


def _others_staff_mail(messages: list[mailbox.Summary]) -> set[str]:
    """The ids of messages addressed to a staff account other than the signed-in admin's."""
    addresses = set().union(*(m.addresses() for m in messages))
    others = staff_accounts.staff_addresses(db.session(), addresses) - {current_admin().email}
    return {m.id for m in messages if m.addresses() & others}


def mailbox_list() -> ResponseReturnValue:
    """What the service sent, newest first (the demo's mail catcher)."""
    folder = _folder()
    messages = mailbox.list_messages(folder)
    withheld = _others_staff_mail(messages)
    audit.record(db.session(), current_admin(), "mailbox.list", ip=request.remote_addr)
    db.session.commit()
    return render_template("admin/mailbox.html", messages=messages, withheld=withheld)


def _letter(message_id: str) -> mailbox.Letter:
    letter = mailbox.open_message(_folder(), message_id)
    if letter is None:
        abort(404)
    return letter


def _readable_letter(message_id: str) -> mailbox.Letter:
    """The message, if the signed-in admin may read its content; 404 for another's staff mail."""
    letter = _letter(message_id)
    if _others_staff_mail([letter.summary]):
        abort(404)
    return letter


def mailbox_message(message_id: str) -> ResponseReturnValue:
    """One message: headers, text part, HTML part in a sandboxed frame, attachments."""
    letter = _letter(message_id)
    withheld = bool(_others_staff_mail([letter.summary]))
    if withheld:
        letter = mailbox.withheld(letter)
    audit.record(
        db.session(), current_admin(), "mailbox.view", "mailbox", message_id,
        {"withheld": True} if withheld else None, ip=request.remote_addr,
    )  # fmt: skip
    db.session.commit()
    return render_template("admin/mailbox_message.html", letter=letter, withheld=withheld)


# What the mailbox shows of a message: no scripts, no requests, no navigation, and no
# access to this site (a sandboxed document has an origin of its own)
SANDBOX = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)
# attachments a browser shows itself, safely, under the sandbox; any other kind is downloaded
SHOWN_INLINE = frozenset({"application/pdf", "text/plain", "image/png", "image/jpeg", "image/gif"})


def mailbox_html(message_id: str) -> ResponseReturnValue:
    """The HTML part alone, for the sandboxed frame: no scripts, no requests, no navigation."""
    letter = _readable_letter(message_id)
    response = Response(letter.html or "", mimetype="text/html")
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def mailbox_attachment(message_id: str, index: int) -> ResponseReturnValue:
    """Open one attachment in the browser (the guide PDF, as the person would read it)."""
    return _attachment(message_id, index, inline=True)


def mailbox_attachment_download(message_id: str, index: int) -> ResponseReturnValue:
    """Save one attachment as a file."""
    return _attachment(message_id, index, inline=False)


def _attachment(message_id: str, index: int, inline: bool) -> ResponseReturnValue:
    letter = _readable_letter(message_id)
    if not 0 <= index < len(letter.attachments):
        abort(404)
    part = letter.attachments[index]
    name = _safe_filename(part.filename or f"attachment-{index + 1}")
    disposition = "inline" if inline and part.content_type in SHOWN_INLINE else "attachment"
    return Response(
        part.payload,
        mimetype=part.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": SANDBOX,
        },
    )


def _safe_filename(name: str) -> str:
    return "".join(ch for ch in name if ch.isalnum() or ch in "._- ")[:100] or "attachment"
