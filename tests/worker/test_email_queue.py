"""A slow mail server never holds up the callback queue: emails have a queue of their own.

In the visibility run (bench/RESULTS.md) callback forms waited up to 141 s
for their queue item while every worker process waited on a slow SMTP
server.  Email tasks now go to the ``email`` queue; production's ``worker``
leaves it out and its ``mailer`` takes only it (docker-compose.yml).  Here a
real Redis and real worker processes show both halves: with no mailer at
all (every mailer stuck, as far as the queue can tell) a callback still
becomes a queue item, and the guide's email waits in its own queue until a
mailer starts, then goes out once.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from sqlalchemy import select

from intake import tasking
from intake.models import OutboxMessage, QueueItem
from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE, submit
from tests.smtp import SmtpSink
from tests.worker.conftest import drain, worker_env

pytestmark = pytest.mark.committed


def _jobs(session: Any) -> dict[str, list[OutboxMessage]]:
    session.expire_all()
    jobs: dict[str, list[OutboxMessage]] = {}
    for job in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        jobs.setdefault(job.task_name, []).append(job)
    return jobs


def _queued_tasks(client: redis.Redis, queue: str) -> list[str]:
    return [json.loads(raw)["headers"]["task"] for raw in client.lrange(queue, 0, -1)]


def test_a_callback_is_queued_while_no_mailer_runs_and_the_email_waits_for_one(
    broker_app, committed_db, spare_redis, worker_process
):
    spare_redis.start()
    # each job is published once: re-published every 2 s (the tests' default), an email job
    # nobody serves would reach OUTBOX_MAX_PUBLISHES while it waits and be left to a person
    flask_app = broker_app(spare_redis.url, OUTBOX_REPUBLISH_SECONDS=600)
    web = flask_app.test_client()
    assert submit(web, "/guide", GOOD_GUIDE).status_code == 303  # owes an email
    assert submit(web, "/callback", GOOD_CALLBACK).status_code == 303
    sink = SmtpSink().start()
    try:
        env = worker_env(spare_redis.url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port),
                         OUTBOX_REPUBLISH_SECONDS="600")  # fmt: skip
        worker = worker_process(env, "--exclude-queues", tasking.EMAIL_QUEUE)

        def callback_queued() -> bool:
            committed_db.expire_all()
            return committed_db.scalar(select(QueueItem.id)) is not None

        drain(flask_app, callback_queued, timeout=60)
        email_jobs = lambda: [  # noqa: E731
            job for name in tasking.EMAIL_TASKS for job in _jobs(committed_db).get(name, [])
        ]
        drain(flask_app, lambda: email_jobs(), timeout=30)  # the guide got as far as its email
        broker = redis.Redis.from_url(spare_redis.url)
        waiting = _queued_tasks(broker, tasking.EMAIL_QUEUE)
        assert waiting and set(waiting) <= set(tasking.EMAIL_TASKS), worker.log()
        assert not [job for job in email_jobs() if job.processed_at], "an email ran, no mailer"
        assert all(job.publish_attempts == 1 and not job.gave_up_at for job in email_jobs())
        assert sink.messages == []
        assert "callbacks.enqueue" in worker.log()  # the worker heard, and ran, the callback's job

        worker_process(env, "--queues", tasking.EMAIL_QUEUE)  # a mailer comes
        drain(flask_app, lambda: all(job.processed_at for job in email_jobs()), timeout=90)
        [message] = sink.wait_for(1, timeout=30)
        assert GOOD_GUIDE["email"].lower() in message["To"].lower()
        assert _queued_tasks(broker, tasking.EMAIL_QUEUE) == []
    finally:
        sink.stop()
