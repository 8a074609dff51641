"""Staff accounts: the set-your-password email, made and sent in the worker."""

from __future__ import annotations

from celery import shared_task

from intake.services import outgoing
from intake.services.staff import staff_accounts
from worker.jobs import run_job


@shared_task(name=staff_accounts.TASK_EMAIL_LINK, ignore_result=True)
def email_password_link(user_id: int, outbox_id: int | None = None) -> bool:
    """Email a staff member a fresh one-time link to choose their password."""
    sent = run_job(outbox_id, lambda s: staff_accounts.email_link(s, user_id, outgoing.transport()))
    return bool(sent)
