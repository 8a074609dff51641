"""The free guide, delivered: a real worker, a real SMTP server, the PDF read back.

Forms go in through the web form as a person sends them; the worker (a
Celery worker on Redis, or a worker process where a test kills it) builds
the leads, renders the guide and sends it to an aiosmtpd server in this
process, which the tests read.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from intake.models import ConsentRecord, EmailDelivery, EmailSuppression, OutboxMessage
from intake.services.directory import specialists
from tests.conftest import GOOD_GUIDE, submit
from tests.worker.conftest import drain, relay, running_worker, wait_for, worker_env

pytestmark = pytest.mark.committed

VETERAN_WITH_ZIP = {
    **GOOD_GUIDE,
    "first_name": "Maria",
    "last_name": "López",
    "email": "maria.lopez@example.com",
    "diagnosis_type": "pleural",
    "stage": "4",
    "veteran": "yes",
    "zip": "10001",
    "topics": ["treatment", "va_benefits"],
}
NOT_A_VETERAN = {**GOOD_GUIDE, "veteran": "no", "topics": ["treatment", "va_benefits"]}


@pytest.fixture
def mail_app(app, committed_db, smtp, monkeypatch):
    """The app with the announcement on, quick retries, https links and the demo listings."""
    monkeypatch.setitem(app.config, "OUTBOX_PUBLISH_AFTER_COMMIT", True)
    monkeypatch.setitem(app.config, "SUBMISSION_SWEEP_GRACE_SECONDS", 0)
    monkeypatch.setitem(app.config, "EMAIL_RETRY_SECONDS", 0.3)
    monkeypatch.setitem(app.config, "OUTBOX_REPUBLISH_SECONDS", 2.0)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://support.example.org")
    with app.app_context():
        specialists.load_demo(committed_db)
        committed_db.commit()
    return app


def _pdf(message) -> tuple[PdfReader, str, list[str]]:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    chapters = [item.title for item in reader.outline if not isinstance(item, list)]
    return reader, text, chapters


def _to(messages, address):
    return next(m for m in messages if address in str(m["To"]))


def test_each_reader_gets_their_own_guide_by_email_with_a_working_unsubscribe(mail_app, smtp):
    client = mail_app.test_client()
    with running_worker(mail_app):
        assert submit(client, "/guide", VETERAN_WITH_ZIP, process=False).status_code == 303
        assert submit(client, "/guide", NOT_A_VETERAN, process=False).status_code == 303
        messages = smtp.wait_for(2, timeout=60)

    maria, robert = _to(messages, "maria.lopez"), _to(messages, "robert.oneil")
    for message in (maria, robert):
        assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
        assert "Information only, not medical advice" in message.get_body(("plain",)).get_content()
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "<img" not in message.get_body(("html",)).get_content()

    reader, text, chapters = _pdf(maria)
    assert len(reader.pages) > 20 and "Prepared for Maria López" in reader.pages[0].extract_text()
    medical = [c for c in chapters if c not in ("Your guide to mesothelioma", "Welcome")]
    assert medical[medical.index("Pleural mesothelioma") :][1:].count("What is mesothelioma?") == 1
    assert chapters.index("Pleural mesothelioma") < chapters.index("What is mesothelioma?")
    assert "Benefits for veterans" in chapters and "Specialists near you" in chapters
    assert "Robert" not in text and "O'Neil" not in text

    _, other_text, other_chapters = _pdf(robert)
    assert "Benefits for veterans" not in other_chapters  # not a veteran
    assert "Specialists near you" not in other_chapters  # no ZIP given
    assert "Maria" not in other_text and "10001" not in other_text
    assert "Peritoneal mesothelioma" in other_chapters

    # the header's https link unsubscribes in one click, with no cookie and no CSRF token
    url = re.search(r"<(https://[^>]+)>", str(maria["List-Unsubscribe"])).group(1)
    assert url.startswith("https://support.example.org/unsubscribe/")
    fresh = mail_app.test_client(use_cookies=False)
    answer = fresh.post(url.removeprefix("https://support.example.org"),
                        data={"List-Unsubscribe": "One-Click"})  # fmt: skip
    assert answer.status_code == 200
    with mail_app.app_context():
        from intake.extensions import db

        consents = db.session.scalars(
            select(ConsentRecord).where(ConsentRecord.purpose.in_(["guide_email"]))
        ).all()
        revoked = [c for c in consents if c.revoked_at is not None]
        assert len(revoked) == 1  # Maria's only; Robert's stands


def _delivery(session) -> EmailDelivery:
    session.expire_all()
    return session.scalars(select(EmailDelivery)).one()


def _status(session) -> str | None:
    """The one delivery's status, None until the form has been processed."""
    session.expire_all()
    delivery = session.scalars(select(EmailDelivery)).first()
    return delivery.status if delivery else None


def test_a_second_run_of_the_same_job_sends_nothing(mail_app, committed_db, smtp):
    client = mail_app.test_client()
    with running_worker(mail_app):
        submit(client, "/guide", GOOD_GUIDE, process=False)
        smtp.wait_for(1, timeout=60)
        wait_for(lambda: _status(committed_db) == "sent", what="the delivery's stamp")
    from worker.tasks.emails import send_email

    job = committed_db.scalars(
        select(OutboxMessage).where(OutboxMessage.task_name == "emails.send")
    ).one()
    with mail_app.app_context():
        assert send_email.run(*job.args, outbox_id=job.id) == "not run"  # the job is done
        assert send_email.run(*job.args) == "sent"  # even called by hand: nothing more
    time.sleep(0.5)
    assert len(smtp.raw) == 1


def test_a_server_answering_451_twice_still_delivers_exactly_once(mail_app, committed_db, smtp):
    smtp.script.data_replies = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]
    client = mail_app.test_client()
    with running_worker(mail_app):
        submit(client, "/guide", GOOD_GUIDE, process=False)
        drain(mail_app, lambda: _status(committed_db) == "sent", timeout=60)
    assert len(smtp.raw) == 1 and smtp.data_commands == 3
    assert _delivery(committed_db).attempts == 3


def test_an_unknown_mailbox_is_not_retried_shows_as_failed_and_is_suppressed(
    mail_app, committed_db, smtp
):
    smtp.script.rcpt_refusals["robert.oneil@example.com"] = "550 5.1.1 No such user here"
    client = mail_app.test_client()
    with running_worker(mail_app):
        submit(client, "/guide", GOOD_GUIDE, process=False)
        drain(mail_app, lambda: _status(committed_db) == "failed", timeout=60)
        time.sleep(1.0)
        relay(mail_app)
    delivery = _delivery(committed_db)
    assert delivery.attempts == 1 and (delivery.smtp_code, delivery.smtp_status) == (550, "5.1.1")
    assert committed_db.scalars(select(EmailSuppression)).one().reason == "bounced"
    assert smtp.raw == []


def _killable_worker_env(smtp) -> dict[str, str]:
    """A worker process's settings for the kill tests: this server, a short lease and re-publish."""
    settings = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "OUTBOX_REPUBLISH_SECONDS": "1",
        "EMAIL_SEND_LEASE_SECONDS": "2",
        "PUBLIC_BASE_URL": "https://support.example.org",
    }
    return worker_env("redis://127.0.0.1:6379/1", **settings)


def test_a_worker_killed_mid_send_still_ends_with_exactly_one_email(
    mail_app, committed_db, smtp, worker_process
):
    """Killed while the server holds its 250: the email arrived; it must not come twice."""
    smtp.script.hold_seconds = 8
    env = _killable_worker_env(smtp)
    submit(mail_app.test_client(), "/guide", GOOD_GUIDE)  # processed here; the job is owed
    first = worker_process(env)
    relay(mail_app)
    smtp.wait_for(1, timeout=60)  # received, and the server sits on its reply
    assert _delivery(committed_db).status == "sending"
    first.kill()
    smtp.script.hold_seconds = 0
    worker_process(env)
    drain(mail_app, lambda: _status(committed_db) == "unknown", timeout=60)
    assert len(smtp.raw) == 1
    assert "may have arrived" in _delivery(committed_db).reason


def test_a_backlog_goes_in_batches_and_a_worker_killed_mid_batch_sends_each_email_once(
    mail_app, committed_db, smtp, worker_process, monkeypatch
):
    """Three owed emails in one batch; the worker dies while the server holds the first 250."""
    smtp.script.hold_seconds = 8
    env = _killable_worker_env(smtp)
    client = mail_app.test_client()
    for name in ("ana", "ben", "cleo"):
        form = {**GOOD_GUIDE, "first_name": name.title(), "email": f"{name}@example.com"}
        submit(client, "/guide", form)  # processed here; three emails are owed
    first = worker_process(env)
    published: list = []
    from intake import tasking

    real_publish = tasking.publish_message
    monkeypatch.setattr(
        tasking, "publish_message", lambda m, p=None: (published.append(m), real_publish(m, p))
    )
    relay(mail_app)
    assert [getattr(m, "task_name", None) for m in published] == ["emails.send_many"]
    smtp.wait_for(1, timeout=60)  # the first arrived, and the server sits on its reply
    assert sorted(_statuses(committed_db)) == ["pending", "pending", "sending"]
    first.kill()
    smtp.script.hold_seconds = 0
    worker_process(env)
    drain(mail_app, lambda: sorted(_statuses(committed_db)) == ["sent", "sent", "unknown"],
          timeout=60)  # fmt: skip
    time.sleep(1.0)
    relay(mail_app)
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == 3 and len(set(ids)) == 3  # the held one was not sent again


def _statuses(session) -> list[str]:
    session.expire_all()
    return [d.status for d in session.scalars(select(EmailDelivery))]


def test_a_redis_restart_during_a_retry_wait_loses_no_retry(
    mail_app, committed_db, smtp, spare_redis, broker_app
):
    smtp.script.data_replies = ["451 4.3.0 Try again later"]
    spare_redis.start()
    lossy = broker_app(spare_redis.url, **_mail_settings(mail_app))
    submit(lossy.test_client(), "/guide", GOOD_GUIDE)
    with running_worker(lossy):
        relay(lossy)
        wait_for(lambda: _status(committed_db) and _delivery(committed_db).attempts == 1,
                 timeout=60, what="the 451")  # fmt: skip
    spare_redis.kill()  # everything Redis held is gone; the retry's due time is in the database
    spare_redis.start()
    with running_worker(lossy):
        drain(lossy, lambda: _status(committed_db) == "sent", timeout=60)
    assert len(smtp.raw) == 1 and _delivery(committed_db).attempts == 2


def _mail_settings(app: Any) -> dict[str, Any]:
    keys = ("SMTP_HOST", "SMTP_PORT", "LOCAL_MAILBOX", "EMAIL_RETRY_SECONDS",
            "PUBLIC_BASE_URL", "OUTBOX_REPUBLISH_SECONDS")  # fmt: skip
    return {key: app.config[key] for key in keys}
