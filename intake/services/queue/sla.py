"""Speed to lead: first calls past the 5-minute target are flagged, counted and escalated.

The target counts from each item's ``clock_from``: the later of the request
and the time the person was promised, so a call promised "after 9:00 AM"
is late at 9:05, not at 8:51.  The console's banner and marker, this alert,
the dashboard and ``/metrics`` all read that one column.

The beat task stamps each first call still waiting at the target
(``sla_breached_at``, counted for the metrics), every advocate's console
shows how many are late right now, and the admins on duty get one email
per check that found new ones (no personal data in it, only the count).
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intake.models.base import utcnow
from intake.models.queue import WAITING, QueueItem, StaffAlert
from intake.models.user import User
from intake.queueing import priority, shifts
from intake.services import outbox
from intake.services.queue.staffing import shifts_of

log = logging.getLogger(__name__)

TASK_ALERT = "queue.alert_admins"


def late_now(session: Session, now: datetime | None = None) -> int:
    """First calls waiting past the target right now (the console's banner)."""
    now = now or utcnow()
    return (
        session.scalar(
            select(func.count())
            .select_from(QueueItem)
            .where(
                QueueItem.status.in_(WAITING),
                QueueItem.attempts == 0,
                QueueItem.clock_from <= now - priority.SPEED_TO_LEAD_TARGET,
            )
        )
        or 0
    )


def check(session: Session, now: datetime | None = None) -> int:
    """Stamp newly late first calls and, if any, owe the admins on duty an alert; how many."""
    now = now or utcnow()
    stamped = session.execute(
        update(QueueItem)
        .where(
            QueueItem.status.in_(WAITING),
            QueueItem.attempts == 0,
            QueueItem.sla_breached_at.is_(None),
            QueueItem.clock_from <= now - priority.SPEED_TO_LEAD_TARGET,
        )
        .values(sla_breached_at=now)
        .returning(QueueItem.id)
    ).all()
    if stamped:
        alert = StaffAlert(kind="sla", count=len(stamped), created_at=now)
        session.add(alert)
        session.flush()
        outbox.enqueue_job(session, TASK_ALERT, alert.id)
        log.warning("speed to lead: %d first call(s) waited past the target", len(stamped))
    return len(stamped)


def admins_on_duty(session: Session, now: datetime) -> list[User]:
    """Active admins whose shift covers now; every active admin when none has shifts set."""
    admins = list(session.scalars(select(User).where(User.role == "admin", User.active.is_(True))))
    working = [user for user in admins if shifts.on_shift(shifts_of(user), now)]
    return working or [user for user in admins if not user.shifts] or admins


def send_alert(session: Session, alert_id: int, transport: object) -> bool:
    """Email the alert to the admins on duty, once; False if already sent or gone."""
    alert = session.get(StaffAlert, alert_id, with_for_update=True)
    if alert is None or alert.sent_at is not None:
        return False
    config = current_app.config
    body = (
        f"{alert.count} callback request(s) have waited more than 5 minutes for a first call, "
        "counted from when we told the person the call could come.\n\n"
        f"Open the queue: {config['PUBLIC_BASE_URL']}/advocate/\n"
    )
    from intake.mail import staff as staff_mail
    from intake.mail.compose import plain_message

    # each admin once: a refusal for one is kept for the log when another has the alert
    # (sending it again would repeat it to them); when nobody has it, the job fails and
    # runs again (intake.mail.staff)
    taken, refused = 0, []
    for admin in admins_on_duty(session, utcnow()):
        message = plain_message(config["MAIL_FROM"], admin.email, "Callbacks are waiting", body)
        try:
            staff_mail.send(transport, message, "queue alert")
            taken += 1
        except staff_mail.StaffMailRefused as refusal:
            refused.append(str(refusal))
    if refused and not taken:
        raise staff_mail.StaffMailRefused("; ".join(refused))
    if refused:
        log.warning("alert %s: %d of %d admins not reached: %s", alert.id, len(refused),
                    len(refused) + taken, "; ".join(refused))  # fmt: skip
    alert.sent_at = utcnow()
    session.flush()
    return True
