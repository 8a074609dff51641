"""Canary values typed into every public form appear nowhere in plain text.

One person fills in the guide form (email and a printed copy) and the
callback form, and searches for specialists, with values found nowhere
else; a real worker processes everything (matching, the guide email through
an SMTP server, the callback queue).  Then a ``pg_dump`` of the whole
database, every key and value in Redis, and every log line the run produced
are searched, and every task message as it was handed to Redis (captured when
published: once consumed it is gone from Redis): the values may only be there
sealed, so the count must be 0.  (The email to the person does carry their
name: that is what it is for.)  Each search first proves that what it searches
holds the canary's own run: its application log lines, its identifiers in the
dump, its jobs among the messages.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import re
import string
import subprocess
from typing import Any

import pytest
import redis
from kombu.transport import redis as kombu_redis
from sqlalchemy import func, select

from intake.config import PROJECT_ROOT
from intake.models import CallbackRequest, EmailDelivery, OutboxMessage, QueueItem, Submission
from intake.tasking import TASK_PROCESS_SUBMISSIONS
from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE, TEST_DATABASE_URL, TEST_REDIS_URL, submit
from tests.worker.conftest import drain, running_worker
from tests.worker.test_guide_email import mail_app as mail_app  # the fixture

pytestmark = pytest.mark.committed


def _word(rng: random.Random, n: int = 7) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def _redis_dump(url: str) -> bytes:
    """Every key and value in the database, whatever its type."""
    client = redis.Redis.from_url(url)
    out = []
    for key in client.scan_iter(count=500):
        out.append(key)
        kind = client.type(key)
        if kind == b"string":
            out.append(client.get(key) or b"")
        elif kind == b"list":
            out.extend(client.lrange(key, 0, -1))
        elif kind == b"hash":
            for field, value in client.hgetall(key).items():
                out += [field, value]
        elif kind == b"set":
            out.extend(client.smembers(key))
        elif kind == b"zset":
            out.extend(member for member, _ in client.zrange(key, 0, -1, withscores=True))
    return b"\n".join(out)


def stores_to_search(
    records: list[logging.LogRecord], messages: list[dict[str, Any]]
) -> dict[str, str]:
    """Everything the run left behind, lower-cased: a PostgreSQL dump, Redis, the log lines,
    and the task messages published to Redis (their bodies decoded)."""
    dump = subprocess.run(  # noqa: S603
        ["pg_dump", "--data-only", TEST_DATABASE_URL], capture_output=True, check=True
    ).stdout.decode("utf-8", "replace")
    return {
        "PostgreSQL dump": dump.lower(),
        "Redis": _redis_dump(TEST_REDIS_URL).decode("utf-8", "replace").lower(),
        "logs": "\n".join(r.getMessage() + (r.exc_text or "") for r in records).lower(),
        "task messages": "\n".join(m["text"] for m in messages).lower(),
    }


def found_in(stores: dict[str, str], canaries: list[str]) -> list[tuple[str, str]]:
    """Each (store, value) where a canary value turned up."""
    return [(where, c) for where, text in stores.items() for c in canaries if c.lower() in text]


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every message kombu hands to Redis from now on, kept as it was published.

    A message a worker has consumed is no longer in Redis, so a search of Redis
    afterwards would miss whatever the task messages carried.
    """
    messages: list[dict[str, Any]] = []
    real_put = kombu_redis.Channel._put

    def put(channel: Any, queue: str, message: dict[str, Any], **kwargs: Any) -> Any:
        body = message["body"]
        if message["properties"].get("body_encoding") == "base64":
            body = base64.b64decode(body).decode("utf-8", "replace")
        messages.append({
            "task": message["headers"].get("task"), "body": json.loads(body),
            "text": json.dumps(message, ensure_ascii=False) + "\n" + body,
        })  # fmt: skip
        return real_put(channel, queue, message, **kwargs)

    monkeypatch.setattr(kombu_redis.Channel, "_put", put)
    return messages


def _carries(message: dict[str, Any], row: OutboxMessage) -> bool:
    """Whether a published task message is the one (or the batch) that hands out ``row``."""
    args, kwargs, _embed = message["body"]
    if message["task"] == row.task_name and kwargs.get("outbox_id") == row.id:
        return True
    jobs = args[0] if args and isinstance(args[0], list) else []
    return any(isinstance(job, list) and job == [row.id, *row.args] for job in jobs)


def assert_the_stores_hold_this_run(
    session: Any, records: list[logging.LogRecord], messages: list[dict[str, Any]], dump: str
) -> None:
    """The controls: each store searched holds the canary's own run, so an absence means
    something (a silenced logger, an empty table, messages already consumed would not)."""
    submissions = session.scalars(select(Submission)).all()
    jobs = session.scalars(select(OutboxMessage)).all()
    deliveries = session.scalars(select(EmailDelivery)).all()
    callbacks = session.scalars(select(CallbackRequest)).all()
    assert submissions and jobs and deliveries and callbacks
    # the dump: the run's own identifiers, in plain text beside the sealed values
    for submission in submissions:
        assert submission.submission_key.lower() in dump, "the dump lacks a submission"
    for delivery in deliveries:
        assert delivery.message_id and delivery.message_id.lower() in dump
    # the logs: the application's own lines about this run, from the worker
    lines = {r.getMessage() for r in records if r.name.startswith("intake.")}
    for request in callbacks:
        assert any(line.startswith(f"callback request {request.id} queued as item ")
                   for line in lines), sorted(lines)  # fmt: skip
    for delivery in deliveries:
        assert f"email delivery {delivery.id} ({delivery.purpose}) sent" in lines, sorted(lines)
    # the task messages: every job of the run and every submission, as published
    for row in jobs:
        assert any(_carries(m, row) for m in messages), f"{row.task_name} {row.id} not captured"
    announced = {i for m in messages if m["task"] == TASK_PROCESS_SUBMISSIONS
                 for i in m["body"][0][0]}  # fmt: skip
    assert {submission.id for submission in submissions} <= announced


def _numbers_no_listing_has() -> list[str]:
    """The last two digits of a 555-01xx number that no demo listing uses.

    The demo listings, in the database the dump searches, have numbers of
    their own in the same fictional range: a canary drawn as "(212)
    555-0118" was found there, in a listing's phone, not in anything the
    run leaked (2 draws in 100 did that).
    """
    listings = (PROJECT_ROOT / "data" / "specialists_demo.csv").read_text(encoding="utf-8")
    taken = set(re.findall(r"212\D{0,2}555\D?01(\d\d)", listings))
    assert "18" in taken  # the file was read: "(212) 555-0118" is a listing's
    return [f"{n:02d}" for n in range(100) if f"{n:02d}" not in taken]


def test_canary_values_are_never_in_the_database_dump_redis_or_the_logs(
    mail_app,
    smtp,
    caplog,  # noqa: F811
    published,
):
    rng = random.Random()
    first, last, street = "Qx" + _word(rng), "Zy" + _word(rng), "Wv" + _word(rng)
    email = f"canary.{_word(rng, 10)}@example.com"
    digits = rng.choice(_numbers_no_listing_has())
    phone = f"(212) 555-01{digits}"
    # the number in the forms people write it (demo listings use bare 555-01xx numbers)
    numbers = [f"21255501{digits}", f"212) 555-01{digits}", f"212-555-01{digits}"]
    canaries = [first, last, street, email, *numbers]
    # whatever an earlier test or library did to logging, this run must hear everything
    logging.disable(logging.NOTSET)
    silenced = sorted(name for name, logger in logging.root.manager.loggerDict.items()
                      if isinstance(logger, logging.Logger) and logger.disabled)  # fmt: skip
    for name in silenced:
        logging.getLogger(name).disabled = False
    for name in ("intake", "worker", "celery"):
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test
    caplog.set_level(logging.DEBUG)

    client = mail_app.test_client()
    guide = {**GOOD_GUIDE, "first_name": first, "last_name": last, "email": email,
             "deliver_mail": "y", "address_line1": f"12 {street} Road", "city": "Springfield",
             "state": "IL", "postal_zip": "62701"}  # fmt: skip
    callback = {**GOOD_CALLBACK, "first_name": first, "last_name": last, "email": email,
                "phone": phone}  # fmt: skip
    with running_worker(mail_app):
        assert submit(client, "/guide", guide, process=False).status_code == 303
        assert submit(client, "/callback", callback, process=False).status_code == 303
        assert client.get("/match?zip=10001&cancer_type=pleural&stage=3").status_code == 200
        [message] = smtp.wait_for(1, timeout=60)
        # the control: the values did go through, to the one place they belong
        assert email in str(message["To"]) and first in message.get_body(("plain",)).get_content()
        with mail_app.app_context():
            from intake.extensions import db

            def done() -> bool:
                db.session.rollback()
                queued = db.session.scalar(select(func.count()).select_from(QueueItem))
                waiting = db.session.scalar(
                    select(func.count()).select_from(Submission)
                    .where(Submission.processed_at.is_(None)))  # fmt: skip
                return bool(queued) and not waiting

            drain(mail_app, done, timeout=60)

    stores = stores_to_search(caplog.records, published)
    with mail_app.app_context():
        from intake.extensions import db

        assert_the_stores_hold_this_run(
            db.session(), caplog.records, published, stores["PostgreSQL dump"]
        )
    assert found_in(stores, canaries) == [], f"loggers found disabled: {silenced}"
