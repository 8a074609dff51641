"""Specialist matching for cases."""

from __future__ import annotations

from celery import shared_task

from intake.services.directory import match_query
from worker.jobs import run_batch, run_job


@shared_task(name="matching.record_case_matches", ignore_result=True)
def record_case_matches(case_id: int, outbox_id: int | None = None) -> int:
    """Compute and store a case's top matches; running twice leaves the same rows."""
    count = run_job(outbox_id, lambda session: match_query.record_case_matches(session, case_id))
    return count or 0


@shared_task(name="matching.record_many", ignore_result=True)
def record_many_case_matches(jobs: list[list[int]]) -> int:
    """A backlog's case-match jobs (``[outbox row id, case id]`` each) in one transaction."""
    return run_batch(jobs, match_query.record_case_matches)
