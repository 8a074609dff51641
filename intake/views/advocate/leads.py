"""A lead's page in the advocate console: everything on the case, the outcome form, the lease.

Only the advocate holding the claim (or an admin) may work a lead; an
advocate may also read their own call back before it is due, to prepare
(``services/queue/lead_access.py`` decides).  Anyone else is told why, on our
own page with the way back to the queue.  Each opening is one audit event;
so is each outcome, release and household link.
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from intake import vocab
from intake.extensions import db
from intake.forms.outcome import HouseholdForm, OutcomeForm
from intake.models.base import utcnow
from intake.models.queue import QueueItem
from intake.models.user import User
from intake.services.inbox import references
from intake.services.queue import lead_access, lead_page, outcomes, queue
from intake.services.staff import audit


def register(bp: Blueprint) -> None:
    """Attach the lead routes to the advocate blueprint (which checks the role)."""
    bp.register_error_handler(NotYours, not_yours)
    bp.add_url_rule("/leads/<int:item_id>", view_func=lead, methods=["GET"])
    bp.add_url_rule("/leads/<int:item_id>/outcome", view_func=log_outcome, methods=["POST"])
    bp.add_url_rule("/leads/<int:item_id>/renew", view_func=renew, methods=["POST"])
    bp.add_url_rule("/leads/<int:item_id>/release", view_func=release, methods=["POST"])
    bp.add_url_rule("/leads/<int:item_id>/household", view_func=link_household, methods=["POST"])
    bp.add_url_rule(
        "/leads/<int:item_id>/household/<int:contact_id>/unlink",
        view_func=unlink_household,
        methods=["POST"],
    )


def _staff() -> User:
    return cast(User, current_user._get_current_object())


class NotYours(Exception):
    """This lead is not the signed-in advocate's to open (or to act on): say why."""

    def __init__(self, verdict: lead_access.Access) -> None:
        super().__init__(verdict.reason)
        self.verdict = verdict


def not_yours(error: NotYours) -> ResponseReturnValue:
    """Our own page for a lead someone may not open: the reason, and the way back to the queue."""
    return render_template("advocate/not_yours.html", reason=error.verdict.message), 403


def _item_or_403(item_id: int) -> QueueItem:
    """The item, if this person may work it: its claim holder, or an admin."""
    item = db.session.get(QueueItem, item_id)
    if item is None:
        abort(404)
    verdict = lead_access.may_act(item, _staff(), utcnow())
    if verdict.mode != lead_access.WORK:
        raise NotYours(verdict)
    return item


def _render(
    item: QueueItem, form: OutcomeForm, household: HouseholdForm, status: int = 200,
    read_only: bool = False,
) -> tuple[str, int]:  # fmt: skip
    data = lead_page.lead_for(db.session(), item)
    household.person.choices = [(str(s.contact.id), s.contact.first_name) for s in data.suggestions]
    due = _due_words(item) if read_only else ""
    return (
        render_template(
            "advocate/lead.html", lead=data, form=form, household=household, vocab=vocab,
            outcomes=outcomes.OUTCOMES, steps=outcomes.NEXT_STEPS, read_only=read_only, due=due,
        ),
        status,
    )  # fmt: skip


def _due_words(item: QueueItem) -> str:
    """When a call back read ahead is due: 'tomorrow after 10:00 AM their time'."""
    from intake.services.queue.waiting import when

    return when(item.callable_from, queue.place_of(item), utcnow(), whose="their")


def lead(item_id: int) -> ResponseReturnValue:
    """The lead page (an audited view of personal data); opening it renews the claim.

    An advocate's own call back before it is due opens read-only (audited as
    such): no claim is taken and no outcome form is shown.
    """
    item = db.session.get(QueueItem, item_id)
    if item is None:
        abort(404)
    verdict = lead_access.access_for(item, _staff(), utcnow())
    if verdict.mode == lead_access.REFUSED:
        raise NotYours(verdict)
    read_only = verdict.mode == lead_access.READ_ONLY
    if not read_only:
        queue.renew(db.session(), item, _staff())
    detail = {"mode": "read_only"} if read_only else None
    audit.record(db.session(), _staff(), "lead.view", "queue_item", item.id, detail,
                 request.remote_addr)  # fmt: skip
    db.session.commit()
    return _render(item, OutcomeForm(), HouseholdForm(), read_only=read_only)


def log_outcome(item_id: int) -> ResponseReturnValue:
    """Record the call and do what its outcome means; errors come back at their field."""
    item = _item_or_403(item_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _render(item, form, HouseholdForm(), 400)
    try:
        logged = outcomes.record(
            db.session(), item, _staff(), form.outcome.data, form.next_step.data or None,
            form.scheduled_utc(item.timezone), form.note.data or None, utcnow(),
        )  # fmt: skip
    except outcomes.OutcomeError as error:
        db.session.rollback()
        getattr(form, error.field).errors = [error.message]
        return _render(db.session.get(QueueItem, item_id), form, HouseholdForm(), 400)  # type: ignore[arg-type]
    audit.record(
        db.session(), _staff(), "queue.outcome", "queue_item", item.id,
        {"outcome": form.outcome.data}, request.remote_addr,
    )  # fmt: skip
    db.session.commit()
    flash(_said(logged, item), "success")
    return redirect(url_for("advocate.queue_page"), code=303)


def _said(logged: outcomes.Logged, item: QueueItem) -> str:
    if logged.callable_from is not None:
        from intake.services.queue.waiting import when

        moment = when(logged.callable_from, queue.place_of(item), utcnow(), whose="their")
        return f"Saved. The next call is due {moment}."
    if logged.status == "exhausted":
        extra = " We emailed them that we tried to reach them." if logged.email_queued else ""
        return "Saved. That was the last attempt; the request is closed." + extra
    return "Saved."


def renew(item_id: int) -> ResponseReturnValue:
    """Keep my claim while I work the lead (the page calls this every few minutes)."""
    item = _item_or_403(item_id)
    kept = queue.renew(db.session(), item, _staff())
    db.session.commit()
    return ("", 204) if kept else ("", 409)


def release(item_id: int) -> ResponseReturnValue:
    """Give the call back to the queue untouched."""
    item = _item_or_403(item_id)
    if queue.release(db.session(), item, _staff()):
        audit.record(db.session(), _staff(), "queue.release", "queue_item", item.id,
                     ip=request.remote_addr)  # fmt: skip
        flash("The call is back in the queue for someone else.", "info")
    db.session.commit()
    return redirect(url_for("advocate.queue_page"), code=303)


NOT_OFFERED = "We can't link that person from this lead. Check the reference with them."


def link_household(item_id: int) -> ResponseReturnValue:
    """Link a person this lead's page offers, or one whose reference was read out on the call.

    Anyone else gets the same answer as nobody at all, so the form finds no
    one who is not already suggested; every link is audited and can be undone.
    """
    item = _item_or_403(item_id)
    form = HouseholdForm()
    case_ = item.callback_request.case
    if not form.validate_on_submit() or case_ is None:
        return _render(item, OutcomeForm(), form, 400)
    other = _offered(item, form)
    if other is None:
        form.reference.errors = [NOT_OFFERED]
        return _render(item, OutcomeForm(), form, 400)
    if lead_page.link_household(db.session(), case_, other, form.relationship.data, _staff()):
        audit.record(db.session(), _staff(), "case.link_contact", "case", case_.id,
                     {"contact_id": other.id, "relationship": form.relationship.data,
                      "by": "reference" if form.reference.data else "suggestion"},
                     request.remote_addr)  # fmt: skip
        flash(f"{other.first_name} is now linked to this case.", "success")
    db.session.commit()
    return redirect(url_for("advocate.lead", item_id=item.id), code=303)


def _offered(item: QueueItem, form: HouseholdForm):  # type: ignore[no-untyped-def]
    """The contact the form names, if this lead may link them; None for anyone else."""
    if form.reference.data:
        other = references.contact_for(db.session(), form.reference.data)
    else:
        people = lead_page.lead_for(db.session(), item)
        offered = {str(s.contact.id): s.contact for s in people.suggestions}
        other = offered.get(form.person.data or "")
    if other is None or other.id == item.contact_id:
        return None
    return other


def unlink_household(item_id: int, contact_id: int) -> ResponseReturnValue:
    """Undo a link made by mistake; the person keeps their own requests and case."""
    item = _item_or_403(item_id)
    case_ = item.callback_request.case
    back = redirect(url_for("advocate.lead", item_id=item.id), code=303)
    if case_ is None or contact_id == item.contact_id:  # the caller is the lead itself
        return back
    if lead_page.unlink_household(db.session(), case_, contact_id):
        audit.record(db.session(), _staff(), "case.unlink_contact", "case", case_.id,
                     {"contact_id": contact_id}, request.remote_addr)  # fmt: skip
        flash("They are no longer linked to this case.", "info")
    db.session.commit()
    return back
