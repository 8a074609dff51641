"""A backlog of emails in batches: one message and one SMTP session for many, each email as safe.

The relay groups due ``emails.send`` rows into ``emails.send_many``
messages; ``outgoing.send_batch`` takes them to a real SMTP server (aiosmtpd
in this process) with real commits, so what another connection sees between
two emails is what a worker killed there would leave.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, select, text

from intake.mail import compose
from intake.models import EmailDelivery, EmailSuppression, GuideRequest, OutboxMessage
from intake.models.base import utcnow
from intake.services import outbox, outgoing
from intake.services.inbox import leads
from tests.services.inbox.test_leads import guide

pytestmark = pytest.mark.committed


def cheap_compose(session, delivery, address) -> compose.Outgoing:
    """A small real message (the guide's PDF is not what these tests are about)."""
    return compose.build(
        mail_from="support@example.org",
        to_name=None,
        to_address=address,
        subject="Your free mesothelioma guide",
        text="Hello",
        html="<p>Hello</p>",
        msg_id=f"<guide.{delivery.id}@example.org>",
        unsubscribe_url="https://support.example.org/unsubscribe/t",
        unsubscribe_mailto_url="mailto:unsubscribe@example.org?subject=t",
        attachments=(),
        dkim=None,
    )


@pytest.fixture
def owed(app, committed_db, smtp, monkeypatch):
    """``owed(n)``: n guide requests, each owing an email; their ``[outbox id, delivery id]``."""
    monkeypatch.setitem(outgoing.COMPOSERS, "guide", cheap_compose)

    def make(count: int) -> list[list[int]]:
        for n in range(count):
            leads.submit_guide_request(committed_db, guide(email=f"reader{n}@example.com"))
        committed_db.commit()
        return [[row.id, *row.args] for row in _rows(committed_db)]

    return make


def _statuses(session) -> list[str]:
    session.expire_all()
    return [d.status for d in session.scalars(select(EmailDelivery).order_by(EmailDelivery.id))]


def _rows(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.task_name == "emails.send")
            .order_by(OutboxMessage.id)
        )
    )


def test_the_relay_sends_a_backlog_of_emails_as_batches_and_other_jobs_alone(
    app, committed_db, owed
):
    jobs = owed(5)
    other = outbox.enqueue_job(committed_db, "outbox.noop")
    committed_db.commit()
    published: list = []
    batching = {"emails.send": ("emails.send_many", 2)}
    result = outbox.relay_pending(committed_db, published.append, batching=batching)
    assert result == (6, False)
    batches = [m for m in published if isinstance(m, outbox.Batch)]
    assert [b.task_name for b in batches] == ["emails.send_many"] * 3
    assert [b.jobs for b in batches] == [jobs[0:2], jobs[2:4], jobs[4:5]]
    assert [m.id for m in published if not isinstance(m, outbox.Batch)] == [other.id]
    # every row keeps its own stamps: a lost batch message is just its rows coming due again
    assert all(row.published_at is not None for row in _rows(committed_db))


def test_a_lone_due_email_goes_as_its_own_job(app, committed_db, owed):
    [job] = owed(1)
    published: list = []
    outbox.relay_pending(
        committed_db, published.append, batching={"emails.send": ("emails.send_many", 20)}
    )
    assert [(m.id, m.task_name, m.args) for m in published] == [(job[0], "emails.send", [job[1]])]


def test_a_batch_sends_each_email_once_over_one_connection_and_stamps_every_row(
    app, committed_db, owed, smtp
):
    jobs = owed(6)
    counts = outgoing.send_batch(committed_db, jobs)
    assert counts == {"sent": 6}
    assert len(smtp.raw) == 6 and smtp.sessions == 1
    assert _statuses(committed_db) == ["sent"] * 6
    assert all(row.processed_at is not None and row.runs == 1 for row in _rows(committed_db))
    # the same batch delivered again (a redelivery) sends nothing
    assert outgoing.send_batch(committed_db, jobs) == {"not run": 6}
    assert len(smtp.raw) == 6


def test_between_two_emails_the_last_answer_and_the_next_sending_mark_are_both_committed(
    app, committed_db, owed, smtp, monkeypatch
):
    """What a worker killed at any DATA would leave: at most one email whose fate is unknown."""
    jobs = owed(4)
    observer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    seen = []
    real_send = outgoing.transport().send

    def watched_send(*args, **kwargs):
        with observer.connect() as conn:
            seen.append(
                dict(
                    conn.execute(
                        text("SELECT status, count(*) FROM email_deliveries GROUP BY status")
                    ).all()
                )
            )
        return real_send(*args, **kwargs)

    monkeypatch.setattr(outgoing.transport(), "send", watched_send)
    outgoing.send_batch(committed_db, jobs)
    observer.dispose()
    assert seen == [
        {"sending": 1, "pending": 3},
        {"sent": 1, "sending": 1, "pending": 2},
        {"sent": 2, "sending": 1, "pending": 1},
        {"sent": 3, "sending": 1},
    ]


def test_a_batch_loads_its_guide_requests_once_yet_sees_each_delivery_as_it_is_now(
    app, committed_db, owed, smtp, monkeypatch
):
    """The requests come in one query up front; what changes mid-batch is still seen."""
    jobs = owed(4)
    statements: list[str] = []
    seen = []

    def watching_compose(session, delivery, address):
        before = len(statements)
        request = session.get(GuideRequest, delivery.request_id)
        seen.append((len(statements) - before, request.contact.email == address, request.case_id))
        if len(seen) == 1:  # while the batch runs, one person unsubscribes, another is erased
            with observer.begin() as conn:
                conn.execute(
                    text("UPDATE email_deliveries SET status = 'suppressed' WHERE id = :id"),
                    {"id": jobs[2][1]},
                )
                conn.execute(
                    text(
                        "UPDATE contacts SET email = NULL WHERE id = "
                        "(SELECT contact_id FROM email_deliveries WHERE id = :id)"
                    ),
                    {"id": jobs[3][1]},
                )
        return cheap_compose(session, delivery, address)

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    observer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setitem(outgoing.COMPOSERS, "guide", watching_compose)
    engine = committed_db.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = outgoing.send_batch(committed_db, jobs)
    finally:
        event.remove(engine, "before_cursor_execute", count)
        observer.dispose()
    assert counts == {"sent": 2, "suppressed": 2}
    assert len(smtp.raw) == 2
    assert [asked for asked, _, _ in seen] == [0, 0]  # found in the session, not asked again
    assert all(same_person and case_id for _, same_person, case_id in seen)
    assert sum("FROM guide_requests" in s for s in statements) == 1
    assert _statuses(committed_db) == ["sent", "sent", "suppressed", "suppressed"]


def test_a_composer_that_fails_fails_its_own_row_and_the_batch_goes_on(
    app, committed_db, owed, smtp, monkeypatch
):
    jobs = owed(3)

    def sometimes_broken(session, delivery, address):
        if delivery.id == jobs[1][1]:
            raise RuntimeError("the renderer broke")
        return cheap_compose(session, delivery, address)

    monkeypatch.setitem(outgoing.COMPOSERS, "guide", sometimes_broken)
    counts = outgoing.send_batch(committed_db, jobs)
    assert counts == {"sent": 2, "failed run": 1}
    assert _statuses(committed_db) == ["sent", "pending", "sent"]
    broken = _rows(committed_db)[1]
    assert broken.processed_at is None and broken.failures == 1
    assert "RuntimeError" in broken.last_error and "renderer" not in broken.last_error
    assert broken.due_at > utcnow()  # the relay hands it out again later


def test_refusals_in_a_batch_touch_only_their_own_email(app, committed_db, owed, smtp):
    jobs = owed(4)
    smtp.script.rcpt_refusals["reader2@example.com"] = "550 5.1.1 No such user here"
    outgoing.send_batch(committed_db, jobs[:1])  # the first goes alone
    smtp.script.data_replies = ["451 4.3.0 Try again later"]
    counts = outgoing.send_batch(committed_db, jobs[1:])
    assert counts == {"rescheduled": 1, "failed": 1, "sent": 1}
    assert _statuses(committed_db) == ["sent", "pending", "failed", "sent"]
    retried, bounced = _rows(committed_db)[1:3]
    assert retried.processed_at is None and retried.due_at > utcnow() and retried.runs == 0
    assert bounced.processed_at is not None
    assert committed_db.scalars(select(EmailSuppression)).one().reason == "bounced"


def test_an_unreachable_server_holds_the_rest_of_the_batch_untried(
    app, committed_db, owed, smtp, monkeypatch
):
    jobs = owed(3)
    smtp.stop()
    counts = outgoing.send_batch(committed_db, jobs)
    assert counts == {"rescheduled": 1, "later": 2}
    committed_db.expire_all()
    deliveries = committed_db.scalars(select(EmailDelivery).order_by(EmailDelivery.id)).all()
    assert [d.attempts for d in deliveries] == [1, 0, 0]  # only the first was tried
    first_due = deliveries[0].next_attempt_at
    assert [row.due_at for row in _rows(committed_db)] == [first_due] * 3
    assert all(row.processed_at is None and row.runs == 0 for row in _rows(committed_db))


def test_a_batch_out_of_time_reschedules_the_rest_for_now(app, committed_db, owed, smtp):
    jobs = owed(3)
    counts = outgoing.send_batch(committed_db, jobs, budget_seconds=-1)
    assert counts == {"later": 3} and smtp.raw == []
    assert all(row.due_at <= utcnow() and row.runs == 0 for row in _rows(committed_db))


def test_an_email_another_worker_is_sending_is_not_sent_again(app, committed_db, owed, smtp):
    """The delivery's row, not the outbox row, guards the email: ``sending`` elsewhere waits."""
    jobs = owed(2)
    committed_db.execute(
        text("UPDATE email_deliveries SET status = 'sending', sending_since = :at WHERE id = :id"),
        {"at": utcnow(), "id": jobs[0][1]},
    )
    committed_db.commit()
    counts = outgoing.send_batch(committed_db, jobs)
    assert counts == {"rescheduled": 1, "sent": 1}
    assert len(smtp.raw) == 1
    assert _statuses(committed_db) == ["sending", "sent"]
    held, done = _rows(committed_db)
    assert held.processed_at is None and done.processed_at is not None


def test_a_batch_stamps_nothing_when_it_dies_and_a_rerun_sends_nothing_again(
    app, committed_db, owed, smtp, monkeypatch
):
    """Killed before its stamps: the rows run again and find their emails sent."""
    jobs = owed(3)
    monkeypatch.setattr(outbox, "mark_processed_many", lambda session, ids: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        outgoing.send_batch(committed_db, jobs)
    committed_db.rollback()
    assert len(smtp.raw) == 3 and _statuses(committed_db) == ["sent"] * 3
    assert all(row.processed_at is None for row in _rows(committed_db))
    monkeypatch.undo()
    assert outgoing.send_batch(committed_db, jobs) == {"sent": 3}
    assert len(smtp.raw) == 3  # nothing sent twice
    assert all(row.processed_at is not None for row in _rows(committed_db))


def test_a_batch_waits_for_the_relay_that_is_still_publishing_its_rows(
    app, committed_db, owed, smtp
):
    """The relay holds its rows until every message is out; a fast worker waits, not skips."""
    import threading

    jobs = owed(2)
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    relay = other.connect()
    relay.execute(text("SELECT id FROM outbox_messages FOR UPDATE"))
    threading.Timer(0.5, relay.commit).start()
    counts = outgoing.send_batch(committed_db, jobs)
    relay.close()
    other.dispose()
    assert counts == {"sent": 2}


def test_a_row_started_too_often_gives_up_instead(app, committed_db, owed, smtp):
    jobs = owed(2)
    committed_db.execute(
        text("UPDATE outbox_messages SET runs = :runs WHERE id = :id"),
        {"runs": app.config["OUTBOX_MAX_RUNS"], "id": jobs[0][0]},
    )
    committed_db.commit()
    counts = outgoing.send_batch(committed_db, jobs)
    assert counts == {"not run": 1, "sent": 1}
    assert _rows(committed_db)[0].gave_up_at is not None


def test_a_sending_row_in_a_batch_waits_for_its_lease(app, committed_db, owed, smtp):
    jobs = owed(1)
    committed_db.execute(
        text("UPDATE email_deliveries SET status = 'sending', sending_since = :at"),
        {"at": utcnow() - timedelta(seconds=1)},
    )
    committed_db.commit()
    counts = outgoing.send_batch(committed_db, jobs)
    assert counts == {"rescheduled": 1} and smtp.raw == []
    assert _statuses(committed_db) == ["sending"]


def test_each_answer_is_committed_before_the_next_email_is_built(
    app, committed_db, owed, smtp, monkeypatch
):
    """A worker killed while it builds the next email (a guide's PDF takes a while) keeps the
    answer the server gave the last one: an accepted email reads "sent", never "unknown" (which
    invites a person to send it again), and a refused one stays due for its retry.

    A chaos run (issue 26, ``bench/chaos.py``) found it: with the answer committed only with
    the next email's mark, the kill left the email the server had taken ``sending``, then
    ``unknown``.
    """
    jobs = owed(3)
    observer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])

    def dying_compose(session, delivery, address):
        if delivery.id == jobs[1][1]:
            raise KeyboardInterrupt  # stands for the SIGKILL: nothing after it runs
        return cheap_compose(session, delivery, address)

    monkeypatch.setitem(outgoing.COMPOSERS, "guide", dying_compose)
    with pytest.raises(KeyboardInterrupt):
        outgoing.send_batch(committed_db, jobs)
    with observer.connect() as conn:
        seen = dict(conn.execute(text("SELECT id, status FROM email_deliveries")).all())
    observer.dispose()
    committed_db.rollback()
    assert len(smtp.raw) == 1
    assert seen == {jobs[0][1]: "sent", jobs[1][1]: "pending", jobs[2][1]: "pending"}


def test_a_database_error_on_the_next_email_keeps_the_last_answer(
    app, committed_db, owed, smtp, monkeypatch
):
    """The batch's rollback on a failing statement undoes only what came after the answer."""
    from sqlalchemy.exc import OperationalError

    jobs = owed(2)

    def failing_compose(session, delivery, address):
        if delivery.id == jobs[1][1]:
            raise OperationalError("SELECT 1", {}, Exception("the connection was lost"))
        return cheap_compose(session, delivery, address)

    monkeypatch.setitem(outgoing.COMPOSERS, "guide", failing_compose)
    assert outgoing.send_batch(committed_db, jobs) == {"sent": 1, "stopped": 1}
    assert _statuses(committed_db) == ["sent", "pending"]
