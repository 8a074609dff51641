"""Builds the Celery app from the Flask app factory, so tasks share its config."""

from __future__ import annotations

import warnings

from celery import Celery
from celery.exceptions import CPendingDeprecationWarning
from celery.signals import worker_ready

from intake import create_app

# We keep running tasks on a broker connection loss on purpose (tasking.delivery_settings).
warnings.filterwarnings("ignore", message="\nIn Celery 5.1", category=CPendingDeprecationWarning)

flask_app = create_app()
celery: Celery = flask_app.extensions["celery"]


@worker_ready.connect
def _relay_on_start(sender: object = None, **_: object) -> None:
    """Hand out anything left pending while the worker or broker was down."""
    celery.send_task("submissions.sweep")
    celery.send_task("outbox.relay")
