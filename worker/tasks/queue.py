"""Callback queue upkeep: leases back, speed-to-lead checks, alerts to admins."""

from __future__ import annotations

from celery import shared_task

from intake.extensions import db
from intake.services import outgoing
from intake.services.queue import queue, sla
from worker.jobs import run_job


@shared_task(name="queue.expire_leases", ignore_result=True)
def expire_leases() -> int:
    """Return abandoned claims to the queue; runs on a beat schedule."""
    count = queue.expire_leases(db.session())
    db.session.commit()
    return count


@shared_task(name="queue.check_sla", ignore_result=True)
def check_sla() -> int:
    """Flag first calls past the speed-to-lead target and alert the admins on duty."""
    count = sla.check(db.session())
    db.session.commit()
    return count


@shared_task(name="queue.alert_admins", ignore_result=True)
def alert_admins(alert_id: int, outbox_id: int | None = None) -> bool:
    """Send one alert to the admins on duty, once."""
    sent = run_job(outbox_id, lambda s: sla.send_alert(s, alert_id, outgoing.transport()))
    return bool(sent)
