"""End to end through a real Celery worker on Redis: nothing submitted is ever lost."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from intake import tasking
from intake.models import CallbackRequest, GuideRequest, OutboxMessage, Submission
from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE, submit
from tests.worker.conftest import running_worker, wait_for

pytestmark = pytest.mark.committed


def _processed(session, model):
    session.expire_all()
    received = session.scalars(select(Submission)).all()
    if not received or not all(row.processed_at for row in received):
        return None
    rows = session.scalars(select(OutboxMessage)).all()
    requests = session.scalars(select(model)).all()
    done = rows and all(row.processed_at for row in rows)
    return (rows, requests) if done else None


def test_worker_processes_the_jobs_of_both_forms(app, committed_db, monkeypatch, smtp):
    monkeypatch.setitem(app.config, "OUTBOX_PUBLISH_AFTER_COMMIT", True)
    client = app.test_client()
    with running_worker(app):
        # the worker, told by the web process's announcement, builds the leads and their jobs
        assert submit(client, "/callback", GOOD_CALLBACK, process=False).status_code == 303
        assert submit(client, "/guide", GOOD_GUIDE, process=False).status_code == 303
        rows, _ = wait_for(lambda: _processed(committed_db, CallbackRequest), what="outbox rows")
    assert sorted(row.task_name for row in rows) == [
        "callbacks.enqueue",
        "emails.send",
        "matching.record_case_matches",
    ]
    assert all(row.published_at and row.status == "processed" for row in rows)
    callback = committed_db.scalars(select(CallbackRequest)).one()
    guide = committed_db.scalars(select(GuideRequest)).one()
    assert callback.status == "queued" and callback.queued_at is not None
    assert guide.status == "processed" and guide.processed_at is not None


def test_a_backlog_of_case_match_jobs_goes_in_batches_and_each_case_gets_its_matches(
    app, committed_db, monkeypatch
):
    from intake.models import Case, CaseMatch
    from intake.services.directory import specialists

    with app.app_context():
        specialists.load_demo(committed_db)
        committed_db.commit()
    client = app.test_client()
    for n in range(3):  # processed here: three cases with a ZIP, three match jobs owed
        form = {**GOOD_CALLBACK, "email": f"reader{n}@example.com", "zip": "10001"}
        form["phone"] = f"212-555-01{n:02d}"
        assert submit(client, "/callback", form).status_code == 303
    published = []
    real_publish = tasking.publish_message
    monkeypatch.setattr(
        tasking, "publish_message", lambda m, p=None: (published.append(m), real_publish(m, p))
    )
    with running_worker(app), app.app_context():
        from intake.extensions import db

        tasking.relay_batch(db.session())
        rows = wait_for(lambda: _processed(committed_db, CallbackRequest), what="outbox rows")[0]
    assert "matching.record_many" in [getattr(m, "task_name", None) for m in published]
    assert sum(row.task_name == "matching.record_case_matches" for row in rows) == 3
    for case in committed_db.scalars(select(Case)).all():
        assert committed_db.scalars(select(CaseMatch).where(CaseMatch.case_id == case.id)).first()


def test_a_task_delivered_twice_has_its_effect_once(app, committed_db):
    from worker.tasks.callbacks import enqueue_callback

    client = app.test_client()
    submit(client, "/callback", GOOD_CALLBACK)
    request = committed_db.scalars(select(CallbackRequest)).one()
    job = committed_db.scalars(
        select(OutboxMessage).where(OutboxMessage.task_name == "callbacks.enqueue")
    ).one()
    with app.app_context():
        assert enqueue_callback.run(request.id, outbox_id=job.id) is True
        committed_db.expire_all()
        first_queued_at = committed_db.get(CallbackRequest, request.id).queued_at
        assert enqueue_callback.run(request.id, outbox_id=job.id) is False
    committed_db.expire_all()
    assert committed_db.get(CallbackRequest, request.id).queued_at == first_queued_at


def test_submissions_made_while_redis_is_down_are_relayed_when_it_returns(
    app, committed_db, spare_redis, smtp
):
    """Redis down: the person still gets a confirmation; the beat sweep delivers later."""
    from intake import create_app

    outage_app = create_app(
        {
            "TESTING": True,
            "CELERY_BROKER_URL": spare_redis.url,
            "OUTBOX_PUBLISH_AFTER_COMMIT": True,
            "SUBMISSION_SWEEP_GRACE_SECONDS": 0,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp.port,
            "LOCAL_MAILBOX": False,
        }
    )
    try:
        client = outage_app.test_client()
        started = time.monotonic()
        assert submit(client, "/callback", GOOD_CALLBACK, process=False).status_code == 303
        assert submit(client, "/guide", GOOD_GUIDE, process=False).status_code == 303
        assert time.monotonic() - started < 10, "a broker outage must not stall the form"

        wait_for(
            lambda: tasking._broker_down_until > time.monotonic(),
            what="the after-commit announcement to meet the dead broker",
        )
        committed_db.expire_all()
        received = committed_db.scalars(select(Submission)).all()
        assert len(received) == 2 and all(row.status == "received" for row in received)
        assert committed_db.scalars(select(OutboxMessage)).all() == []

        spare_redis.start()
        with running_worker(outage_app):
            # what Celery beat does every OUTBOX_RELAY_SECONDS (and the worker at start)
            outage_app.extensions["celery"].send_task("submissions.sweep")
            rows, _ = wait_for(
                lambda: _processed(committed_db, CallbackRequest), what="relayed outbox rows"
            )
        assert all(row.published_at and row.processed_at for row in rows)
        assert committed_db.scalars(select(CallbackRequest)).one().status == "queued"
        assert committed_db.scalars(select(GuideRequest)).one().status == "processed"
    finally:
        transport = outage_app.extensions.pop("mail_transport", None)
        if transport is not None:
            transport.close()
        with outage_app.app_context():
            from intake.extensions import db

            db.engine.dispose()
        app.extensions["celery"].set_default()
