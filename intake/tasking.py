"""Celery wired to the Flask app; the web process's announcements and the outbox relay.

Following Flask's Celery pattern: a Task base that pushes an app context, the
Celery app kept in ``app.extensions["celery"]``.  The broker is Redis (or
``CELERY_BROKER_URL``, e.g. RabbitMQ) in production and kombu's SQLAlchemy
transport on a SQLite file in the embedded mode.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from typing import Any

from celery import Celery, Task
from flask import Flask, Response, after_this_request, current_app
from kombu import Queue
from sqlalchemy.orm import Session

from intake.extensions import db
from intake.models.outbox import OutboxMessage
from intake.services import outbox
from intake.services.email import emails

log = logging.getLogger(__name__)

TASK_MODULES = [
    "worker.tasks.submissions",
    "worker.tasks.outbox",
    "worker.tasks.guides",
    "worker.tasks.callbacks",
    "worker.tasks.matching",
    "worker.tasks.emails",
    "worker.tasks.queue",
    "worker.tasks.privacy",
    "worker.tasks.staff",
]
BREAKER_SECONDS = 30.0
# How long the relay thread waits for more ids before publishing one message for them all.
# A publish costs a web worker about 1.3 ms of CPU: at 270 forms a second a 50 ms wait put
# 14 forms in a message (0.1 ms each, a third of what the intake POST cost over the
# baseline, bench/RESULTS.md); 200 ms puts 54 (0.025 ms), and a person waiting for a
# call back does not notice a fifth of a second before the worker starts on the form.
COALESCE_SECONDS = 0.2

# Two queues, so that a slow mail server never holds up the callback queue.  Each task
# here spends its time on an SMTP server's answers (30 s and more when a server is slow,
# bench/RESULTS.md "Visibility timeout") or laying out a guide PDF; a worker process that
# holds one cannot turn a callback form into a queue item.  A worker started without
# ``--queues`` takes both queues (the demo's one worker, the benches); production runs one
# worker for each (docker-compose.yml: ``worker`` leaves the email queue out, ``mailer``
# takes only it), so an advocate's queue keeps moving while every mailer waits.
DEFAULT_QUEUE = "celery"
EMAIL_QUEUE = "email"
EMAIL_TASKS = (
    "emails.send",
    "emails.send_many",
    "guides.deliver",
    "queue.alert_admins",
    "staff.email_password_link",
)


def init_celery(app: Flask) -> Celery:
    """Build the Celery app from the Flask config and keep it on the Flask app."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery = Celery(app.import_name, task_cls=FlaskTask)
    broker = app.config["CELERY_BROKER_URL"]
    celery.conf.update(
        broker_url=broker,
        include=TASK_MODULES,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_hijack_root_logger=False,
        **delivery_settings(broker, float(app.config["BROKER_VISIBILITY_TIMEOUT"])),
        **queue_settings(),
        beat_schedule={
            "relay-outbox": {
                "task": "outbox.relay",
                "schedule": app.config["OUTBOX_RELAY_SECONDS"],
                "options": {"expires": app.config["OUTBOX_RELAY_SECONDS"] * 2},
            },
            "sweep-submissions": {
                "task": "submissions.sweep",
                "schedule": app.config["OUTBOX_RELAY_SECONDS"],
                "options": {"expires": app.config["OUTBOX_RELAY_SECONDS"] * 2},
            },
            "expire-claims": {
                "task": "queue.expire_leases",
                "schedule": 60.0,
                "options": {"expires": 60},
            },
            "speed-to-lead": {
                "task": "queue.check_sla",
                "schedule": 60.0,
                "options": {"expires": 60},
            },
            "purge-submission-payloads": {
                "task": "submissions.purge",
                "schedule": 3600.0,
                "options": {"expires": 3600},
            },
            "retention-period": {
                "task": "privacy.retention",
                "schedule": 3600.0,
                "options": {"expires": 3600},
            },
        },
        timezone="UTC",
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


# Why these numbers (README, "nothing lost"): no job may run longer than TASK_TIME_LIMIT;
# with one prefetched message per process a message can wait one job's time before it
# starts, so Redis's visibility timeout must exceed two limits with room to spare, or
# Redis would hand a running job to a second worker.  Recovery never waits for it: the
# outbox relay re-publishes an unfinished job after OUTBOX_REPUBLISH_SECONDS.  A shorter
# one (BROKER_VISIBILITY_TIMEOUT) makes Redis hand running jobs out again: every task is
# safe to run twice at once, and bench/visibility.py runs the service so on purpose.
TASK_SOFT_TIME_LIMIT = 240
TASK_TIME_LIMIT = 300
VISIBILITY_TIMEOUT = 900


def queue_settings() -> dict[str, Any]:
    """The two queues, and which tasks go to the email one (see EMAIL_TASKS)."""
    return {
        "task_default_queue": DEFAULT_QUEUE,
        "task_queues": (
            Queue(DEFAULT_QUEUE, routing_key=DEFAULT_QUEUE),
            Queue(EMAIL_QUEUE, routing_key=EMAIL_QUEUE),
        ),
        "task_routes": {name: {"queue": EMAIL_QUEUE} for name in EMAIL_TASKS},
    }


def delivery_settings(broker: str, visibility: float = VISIBILITY_TIMEOUT) -> dict[str, Any]:
    """Celery's delivery guarantees, chosen for a worker that may be killed at any moment."""
    return {
        # acknowledge after the task ran: a worker killed mid-task leaves the message
        # to be delivered again (and run_job's start count stops a poison message)
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # a late-acknowledged message should not sit reserved behind a long job
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": TASK_SOFT_TIME_LIMIT,
        "task_time_limit": TASK_TIME_LIMIT,
        # a running task finishes when the broker connection drops, rather than being
        # terminated: its message may come back, and the task then finds its work done;
        # terminating an email mid-send would only turn a delivered email into an unknown one
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        # a worker outlives a broker outage of any length instead of exiting
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        "broker_transport_options": _transport_options(broker, visibility),
    }


def _transport_options(broker: str, visibility: float) -> dict[str, Any]:
    if broker.startswith(("redis://", "rediss://")):
        # fail fast when Redis is down: the outbox keeps the job, beat retries it
        return {
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
            "visibility_timeout": visibility,
            **_restore_sweep(visibility),
        }
    return {}


def _restore_sweep(visibility: float) -> dict[str, int]:
    """How often a worker looks for messages past their visibility timeout: a fifth of it.

    kombu looks every ``interval * throttle`` seconds (10 x 10 by default):
    right for our 900 s, but a 10 s timeout would in effect be 100 s.
    """
    period = min(max(visibility / 5, 1.0), 100.0)
    interval = min(10, max(1, int(period)))
    return {"unacked_restore_interval": interval,
            "unacked_restore_throttle": max(1, round(period / interval))}  # fmt: skip


def publish_message(message: OutboxMessage | outbox.Batch, producer: Any = None) -> None:
    """Hand one outbox row to the broker: its task, its id arguments, and its row id.

    A ``Batch`` goes as its task with the list of ``[row id, *args]``.
    """
    celery: Celery = current_app.extensions["celery"]
    if isinstance(message, outbox.Batch):
        celery.send_task(message.task_name, args=[message.jobs], retry=False, producer=producer)
        return
    celery.send_task(
        message.task_name,
        args=message.args,
        kwargs={"outbox_id": message.id},
        retry=False,
        producer=producer,
    )


def relay_batch(session: Session, ids: list[int] | None = None) -> outbox.RelayResult:
    """Relay pending rows through one broker producer for the whole batch (cheaper per row)."""
    celery: Celery = current_app.extensions["celery"]
    policy = outbox.RepublishPolicy.from_config(current_app.config)
    batching = {
        emails.TASK_SEND: (emails.TASK_SEND_MANY, int(current_app.config["EMAIL_BATCH_SIZE"])),
        **BATCHED_JOBS,
    }
    with celery.producer_or_acquire() as producer:
        return outbox.relay_pending(
            session,
            lambda row: publish_message(row, producer),
            ids=ids,
            policy=policy,
            batching=batching,
        )


TASK_PROCESS_SUBMISSIONS = "submissions.process"
# short idempotent jobs a backlog brings many of: their batch task (worker.jobs.run_batch)
BATCHED_JOBS = {"matching.record_case_matches": ("matching.record_many", 20)}


def publish_submissions(ids: list[int], producer: Any = None) -> None:
    """Hand received submissions to the worker: one task for the whole batch of ids."""
    celery: Celery = current_app.extensions["celery"]
    celery.send_task(TASK_PROCESS_SUBMISSIONS, args=[ids], retry=False, producer=producer)


_broker_down_until = 0.0


def announce_after_commit(submission_id: int) -> None:
    """Tell the worker about a submission this request just committed, off the request's path.

    Batched per process like the outbox relay: one message carries every id
    that arrived within the coalescing window.  If the message is lost (the
    process dies, the broker is down), the sweep finds the row unprocessed.
    """
    if not current_app.config["OUTBOX_PUBLISH_AFTER_COMMIT"]:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    @after_this_request
    def _schedule(response: Response) -> Response:
        response.call_on_close(lambda: _relay_thread.submit(app, [submission_id]))
        return response


class _RelayThread:
    """One daemon thread per process that batches after-commit announcements.

    Started lazily and again after a fork (gunicorn forks its workers after
    the app may have been imported), so each process has its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.SimpleQueue[tuple[Flask, list[int]]] = queue.SimpleQueue()

    def submit(self, app: Flask, ids: list[int]) -> None:
        """Queue submission ids for announcing by this process's relay thread."""
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._queue = queue.SimpleQueue()
                    thread = threading.Thread(
                        target=self._run, args=(self._queue,), name="announce", daemon=True
                    )
                    thread.start()
                    self._pid = os.getpid()
        self._queue.put((app, ids))

    def restart(self) -> None:
        """Start a fresh thread and queue on the next announcement (tests, between apps).

        A thread still blocked on a broker that went away keeps only its own
        queue, so later announcements do not wait behind it.
        """
        with self._lock:
            self._pid = None

    def _run(self, jobs: queue.SimpleQueue[tuple[Flask, list[int]]]) -> None:
        while True:
            batches: dict[Flask, list[int]] = {}
            app, ids = jobs.get()
            batches.setdefault(app, []).extend(ids)
            time.sleep(COALESCE_SECONDS)  # let a busy process's next few requests join the batch
            while True:  # everything that queued up meanwhile goes out together
                try:
                    app, ids = jobs.get_nowait()
                except queue.Empty:
                    break
                batches.setdefault(app, []).extend(ids)
            for app, batch in batches.items():
                try:
                    announce_now(app, batch)
                except Exception:  # keep the thread alive; the periodic sweep has the rows
                    log.exception("relay thread: a batch failed")


_relay_thread = _RelayThread()


def announce_now(app: Flask, ids: list[int]) -> None:
    """Publish one processing task for these submissions, unless the broker was just seen down."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return
    with app.app_context():
        try:
            publish_submissions(ids)
        except Exception:
            log.exception("announcing submissions failed; the periodic sweep will hand them out")
            _broker_down_until = time.monotonic() + BREAKER_SECONDS


def relay_quietly(ids: list[int]) -> None:
    """Publish outbox rows just committed by a worker task; a failure leaves them to beat."""
    if not ids:
        return
    try:
        relay_batch(db.session(), ids)
    except Exception:
        db.session.rollback()
        log.exception("outbox relay from the worker failed; the periodic relay will retry")


def reset_breaker() -> None:
    """Forget a broker outage (tests, and after a successful periodic relay)."""
    global _broker_down_until
    _broker_down_until = 0.0
