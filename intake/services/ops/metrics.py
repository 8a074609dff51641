"""What a Prometheus scraper reads at ``/metrics``: counts from the database at scrape time.

Every figure is read from PostgreSQL when scraped, so every gunicorn worker
answers the same and nothing is kept per process (no multiprocess
directory to manage).  Nothing personal is exported: counts by form,
status and state only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import EmailDelivery, QueueItem, Submission
from intake.services import outbox


class _DatabaseCollector:
    """A prometheus-client collector that asks the database on each scrape."""

    def __init__(self, session: Session, config: Any) -> None:
        self.session, self.config = session, config

    def collect(self) -> Iterator[Metric]:
        """The service's figures, each with its help text."""
        session = self.session
        forms = CounterMetricFamily("intake_submissions", "Public forms received", labels=["form"])
        yield _by(session, Submission.form, forms)
        waiting = session.scalar(
            select(func.count()).select_from(Submission).where(Submission.processed_at.is_(None))
        )
        yield GaugeMetricFamily(
            "intake_submissions_unprocessed", "Received forms the worker has not processed yet",
            value=waiting or 0,
        )  # fmt: skip
        health = outbox.health(session, outbox.RepublishPolicy.from_config(self.config))
        jobs = GaugeMetricFamily("intake_outbox_jobs", "Follow-up jobs by state", labels=["state"])
        for state, value in (("open", health.open), ("late", health.overdue),
                             ("waiting_for_person", health.gave_up)):  # fmt: skip
            jobs.add_metric([state], value)
        yield jobs
        queue = GaugeMetricFamily("intake_queue_items", "Callback queue items", labels=["status"])
        yield _by(session, QueueItem.status, queue)
        breaches = session.scalar(
            select(func.count()).select_from(QueueItem)
            .where(QueueItem.sla_breached_at.is_not(None))
        )  # fmt: skip
        yield CounterMetricFamily(
            "intake_sla_breaches", "First calls later than the speed-to-lead target",
            value=breaches or 0,
        )  # fmt: skip
        emails = GaugeMetricFamily("intake_emails", "Emails by delivery status", labels=["status"])
        yield _by(session, EmailDelivery.status, emails)


def _by(session: Session, column: Any, family: Any) -> Any:
    """Fill a labelled family with row counts grouped by one column."""
    for value, count in session.execute(select(column, func.count()).group_by(column)):
        family.add_metric([value], count)
    return family


def exposition(session: Session, config: Any) -> bytes:
    """The Prometheus text format, read now."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseCollector(session, config))  # type: ignore[arg-type]
    return bytes(generate_latest(registry))
