"""Email tasks."""

from __future__ import annotations

from celery import shared_task

from intake.extensions import db
from intake.services import outgoing
from worker.jobs import run_job


@shared_task(name="emails.send", ignore_result=True)
def send_email(delivery_id: int, outbox_id: int | None = None) -> str:
    """Take one owed email one step: send it, schedule its retry, or record why not."""
    result = run_job(outbox_id, lambda session: outgoing.send_delivery(session, delivery_id))
    return result if isinstance(result, str) else "rescheduled" if result else "not run"


@shared_task(name="emails.send_many", ignore_result=True)
def send_emails(jobs: list[list[int]]) -> dict[str, int]:
    """A batch of owed emails (``[outbox row id, delivery id]`` each) over one SMTP connection."""
    return dict(outgoing.send_batch(db.session(), jobs))
