"""The advocate console (``/advocate``): the queue, claim next, my call backs.

Every route needs a signed-in advocate (or an admin overseeing the queue).
The queue list shows no personal data beyond a first name and a state;
everything else is on a lead's page, which only the advocate holding the
claim may open, and every opening is audited (``advocate_leads.py``).
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from intake.extensions import db
from intake.models.base import utcnow
from intake.models.queue import RETRY, QueueItem
from intake.models.user import User
from intake.services.queue import claims, queue, sla, staffing
from intake.services.staff import audit
from intake.views.access import no_store, require_staff
from intake.views.advocate import leads as advocate_leads

bp = Blueprint("advocate", __name__, url_prefix="/advocate")
FINISH_FIRST = "Finish or release your current call first."
bp.before_request(require_staff)
bp.after_request(no_store)


def current_staff() -> User:
    """The signed-in staff member, as the plain model the services expect."""
    return cast(User, current_user._get_current_object())


def _queue_context() -> dict[str, object]:
    session, now = db.session(), utcnow()
    items = queue.open_items(session, limit=300)
    return {
        "now": now,
        "claimed": [i for i in items if i.status == "claimed"],
        "callable": [i for i in items if i.status != "claimed" and i.callable_from <= now],
        "waiting": [i for i in items if i.status != "claimed" and i.callable_from > now],
        "late": sla.late_now(session, now),
        "mine": [i for i in items if i.claimed_by_id == current_staff().id],
        "priority": lambda item: queue.priority_words(item, now),
        "is_late": lambda item: queue.is_late(item, now),
    }


@bp.get("/")
def queue_page() -> ResponseReturnValue:
    """The queue: who can be called now and who waits until when, and the claim button."""
    return render_template("advocate/queue.html", **_queue_context())


@bp.get("/queue/panel")
def queue_panel() -> ResponseReturnValue:
    """The queue's lists alone, for the page's refresh without a full reload."""
    return render_template("advocate/_queue_panel.html", **_queue_context())


@bp.post("/claim-next")
def claim_next() -> ResponseReturnValue:
    """Give me the next call that fits my skills, held for 20 minutes; 303 to its lead page.

    One call at a time (``MAX_OPEN_CLAIMS``): a press while I hold that many
    gets only a call back of my own that is due, else goes back to the queue.
    """
    session, advocate = db.session(), current_staff()
    now = utcnow()
    uncovered = staffing.uncovered_skills(session, now)
    cap = int(current_app.config["MAX_OPEN_CLAIMS"])
    claim = claims.claim_next(session, advocate, now, uncovered, max_open=cap)
    if claim.item is None:
        session.commit()  # items found not callable after all were moved or closed
        if claim.at_cap:
            flash(FINISH_FIRST, "info")
        else:
            flash("Nobody can be called right now. The list shows who is next, and when.", "info")
        return redirect(url_for("advocate.queue_page"), code=303)
    audit.record(session, advocate, "queue.claim", "queue_item", claim.item.id,
                 ip=request.remote_addr)  # fmt: skip
    session.commit()
    return redirect(url_for("advocate.lead", item_id=claim.item.id), code=303)


@bp.get("/callbacks")
def my_callbacks() -> ResponseReturnValue:
    """Call backs I arranged, and when each is due."""
    items = list(
        db.session.scalars(
            select(QueueItem)
            .where(QueueItem.preferred_advocate_id == current_staff().id, QueueItem.status == RETRY)
            .order_by(QueueItem.callable_from)
        )
    )
    return render_template("advocate/callbacks.html", items=items, now=utcnow())


@bp.route("/me", methods=["GET"])
def me() -> ResponseReturnValue:
    """My skills and shifts, as the queue routes calls to me."""
    from intake.queueing import shifts

    return render_template(
        "advocate/me.html", user=current_staff(), shifts=shifts.describe(current_staff().shifts)
    )


advocate_leads.register(bp)
