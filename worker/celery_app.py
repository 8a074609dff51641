"""Builds the Celery app from the Flask app factory, so tasks share its config."""

from __future__ import annotations

import logging
import os
import warnings

from celery import Celery
from celery.exceptions import CPendingDeprecationWarning, SecurityWarning
from celery.signals import after_setup_logger, worker_init, worker_ready

from intake import create_app
from intake.services.ops import warmup

# We keep running tasks on a broker connection loss on purpose (tasking.delivery_settings).
warnings.filterwarnings("ignore", message="\nIn Celery 5.1", category=CPendingDeprecationWarning)
if os.environ.get("INTAKE_DEMO") == "1" and os.geteuid() == 0:
    # The one-machine demo in a root container: `intake serve` says so once itself, and the
    # worker takes only JSON, so Celery's superuser warning would only repeat it.
    warnings.filterwarnings("ignore", category=SecurityWarning)

# The housekeeping tasks beat sends every few seconds: their "received" and "succeeded" lines
# would be most of the log, burying the jobs that did something (failures still show).
HOUSEKEEPING = ("outbox.relay", "submissions.sweep", "queue.expire_leases", "queue.check_sla",
                "submissions.purge", "privacy.retention")  # fmt: skip


class _QuietHousekeeping(logging.Filter):
    """Drop INFO lines about housekeeping tasks; keep everything else."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        message = record.getMessage()
        return not any(name in message for name in HOUSEKEEPING)


@after_setup_logger.connect
def _quiet_logs(logger: logging.Logger | None = None, **_: object) -> None:
    """Beat's "Sending due task" lines and the housekeeping tasks' own, out of the INFO log."""
    logging.getLogger("celery.beat").setLevel(logging.WARNING)
    for name in ("celery.worker.strategy", "celery.app.trace"):
        logging.getLogger(name).addFilter(_QuietHousekeeping())


flask_app = create_app()
celery: Celery = flask_app.extensions["celery"]


@worker_init.connect
def _warm_up(**_: object) -> None:
    """Before the pool forks: what a first guide email needs, inherited by every child."""
    if flask_app.config["WORKER_WARM_UP"]:
        warmup.warm_up(flask_app)


@worker_ready.connect
def _relay_on_start(sender: object = None, **_: object) -> None:
    """Hand out anything left pending while the worker or broker was down."""
    celery.send_task("submissions.sweep")
    celery.send_task("outbox.relay")
