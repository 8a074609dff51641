"""Nothing lost when the broker loses a message: real worker processes, real brokers, SIGKILL.

Each test publishes real follow-up jobs (callback requests entering the
queue), then loses their messages the way production does: Redis killed and
restarted empty, or a worker killed while it holds a late-acknowledged job.
The outbox relay (what beat runs every 15 s) must hand them out again and
each job's effect must happen exactly once.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from intake.extensions import db
from intake.models import CallbackRequest, OutboxMessage
from intake.models.base import utcnow
from tests.conftest import GOOD_CALLBACK, submit
from tests.worker.conftest import REPUBLISH, drain, relay, wait_for, worker_env

pytestmark = pytest.mark.committed

JOBS_PER_FORM = 2  # a callback form with a diagnosis and a ZIP: the queue job and matching


def _submit_callbacks(flask_app: Flask, count: int, first: int = 0) -> None:
    client = flask_app.test_client()
    for n in range(first, first + count):
        person = {
            **GOOD_CALLBACK,
            "phone": f"(212) 555-{100 + n:04d}",
            "email": f"p{n}@example.com",
        }
        assert submit(client, "/callback", person).status_code == 303


def _jobs(session: Any) -> list[OutboxMessage]:
    session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.task_name == "callbacks.enqueue")
    return list(session.scalars(query.order_by(OutboxMessage.id)))


def _all_done(session: Any) -> list[OutboxMessage] | None:
    jobs = _jobs(session)
    return jobs if jobs and all(job.processed_at for job in jobs) else None


def _assert_queued_once(session: Any, jobs: list[OutboxMessage]) -> None:
    requests = session.scalars(select(CallbackRequest)).all()
    assert len(requests) == len(jobs)
    assert all(request.status == "queued" and request.queued_at for request in requests)


def test_jobs_lost_with_a_redis_restart_run_exactly_once_after_one_sweep(
    broker_app, committed_db, spare_redis, worker_process
):
    spare_redis.start()
    lossy = broker_app(spare_redis.url)
    _submit_callbacks(lossy, 5)
    assert relay(lossy) == 5 * JOBS_PER_FORM  # published to Redis; no worker is running yet
    spare_redis.kill()  # SIGKILL: no persistence, every message is gone
    spare_redis.start()

    worker = worker_process(worker_env(spare_redis.url, OUTBOX_REPUBLISH_SECONDS=str(REPUBLISH)))
    time.sleep(REPUBLISH)  # the jobs' re-publish time passes
    # one sweep hands every lost job out again: this one, or the worker's own relay on start
    # when the worker took longer to start than the re-publish time (a cold start, a busy
    # machine); publish_attempts == 2 below shows each job went out again exactly once
    assert relay(lossy) in (0, 5 * JOBS_PER_FORM)
    jobs = wait_for(lambda: _all_done(committed_db), timeout=30, what="the jobs to run")
    assert [job.runs for job in jobs] == [1] * 5, worker.log()  # run exactly once each
    assert all(job.publish_attempts == 2 for job in jobs)
    _assert_queued_once(committed_db, jobs)


def _hold_the_request_row(flask_app: Flask) -> Any:
    """Lock the callback request so the worker's job blocks mid-way, holding its message."""
    with flask_app.app_context():
        connection = db.engine.connect()
    transaction = connection.begin()
    connection.execute(text("SELECT id FROM callback_requests FOR UPDATE"))
    return connection, transaction


def _started(session: Any) -> bool:
    return bool(_jobs(session)) and all(job.runs >= 1 for job in _jobs(session))


def _kill_a_worker_mid_job(flask_app, committed_db, worker_process, env):
    """Publish one job, let a worker take it and block, SIGKILL the worker; when it died."""
    _submit_callbacks(flask_app, 1)
    connection, transaction = _hold_the_request_row(flask_app)
    try:
        assert relay(flask_app) == JOBS_PER_FORM
        first = worker_process(env)
        wait_for(lambda: _started(committed_db), timeout=30, what="a worker to take the job")
        time.sleep(0.5)  # it is inside the job, waiting on our lock, message unacknowledged
        first.kill()
        killed_at = utcnow()
    finally:
        transaction.rollback()
        connection.close()
    return killed_at


# Redis hands an unacknowledged message out again after its visibility timeout; here it is
# short enough to come well inside the drain's time, so recovery by Redis alone would pass
# the drain but fail the bound and the re-publish check below
SHORT_VISIBILITY = 30.0


def test_a_job_held_by_a_killed_worker_runs_again_within_the_republish_time_on_redis(
    broker_app, committed_db, spare_redis, worker_process
):
    """Redis would keep the message hidden for its visibility timeout; the relay does not wait."""
    spare_redis.start()
    flask_app = broker_app(spare_redis.url)
    env = worker_env(
        spare_redis.url,
        OUTBOX_REPUBLISH_SECONDS=str(REPUBLISH),
        BROKER_VISIBILITY_TIMEOUT=str(SHORT_VISIBILITY),
    )
    killed_at = _kill_a_worker_mid_job(flask_app, committed_db, worker_process, env)
    worker_process(env)
    done = drain(flask_app, lambda: _all_done(committed_db), timeout=2 * SHORT_VISIBILITY)
    [job] = done
    recovered = (job.processed_at - killed_at).total_seconds()
    # the relay handed it out again after the kill (Redis's own redelivery publishes nothing)
    assert job.published_at is not None and job.published_at > killed_at
    assert recovered < SHORT_VISIBILITY / 2, f"recovered {recovered:.1f} s after the kill"
    assert job.runs == 2 and job.publish_attempts >= 2  # started twice, finished once
    _assert_queued_once(committed_db, done)


def test_rabbitmq_redelivers_a_killed_workers_job_and_the_relay_recovers_a_lost_message(
    broker_app, committed_db, rabbit_vhost, worker_process
):
    """With CELERY_BROKER_URL on RabbitMQ the same recovery holds, on both paths."""
    flask_app = broker_app(rabbit_vhost.url)
    env = worker_env(rabbit_vhost.url, OUTBOX_REPUBLISH_SECONDS=str(REPUBLISH))
    _kill_a_worker_mid_job(flask_app, committed_db, worker_process, env)
    second = worker_process(env)  # RabbitMQ requeued the unacknowledged message when it died
    [job] = wait_for(lambda: _all_done(committed_db), timeout=30, what="the redelivered job")
    assert job.runs == 2 and job.publish_attempts == 1
    _assert_queued_once(committed_db, [job])

    # a message the broker lost (a purged queue stands in for a failed node): the relay recovers
    second.stop()
    _submit_callbacks(flask_app, 1, first=1)
    assert relay(flask_app) >= JOBS_PER_FORM  # (and any job of the first form still due)
    with flask_app.app_context(), flask_app.extensions["celery"].connection_for_write() as conn:
        # its two jobs, and whatever beat-like tasks the stopped worker left behind
        assert conn.default_channel.queue_purge("celery") >= JOBS_PER_FORM
    worker_process(env)
    time.sleep(REPUBLISH)
    relay(flask_app)  # (the worker's own start-up relay may have been first)
    jobs = wait_for(lambda: _all_done(committed_db), timeout=30, what="the lost job")
    assert [job.runs for job in jobs] == [2, 1] and jobs[1].publish_attempts == 2
    _assert_queued_once(committed_db, jobs)
    every = drain(flask_app, lambda: _every_job_done(committed_db), timeout=30)
    assert all(row.runs >= 1 for row in every)


def _every_job_done(session: Any) -> list[OutboxMessage] | None:
    session.expire_all()
    rows = list(session.scalars(select(OutboxMessage)))
    return rows if all(row.processed_at for row in rows) else None
