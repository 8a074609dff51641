"""Canary values typed into every public form appear nowhere in plain text.

One person fills in the guide form (email and a printed copy) and the
callback form, and searches for specialists, with values found nowhere
else; a real worker processes everything (matching, the guide email through
an SMTP server, the callback queue).  Then a ``pg_dump`` of the whole
database, every key and value in Redis, and every log line the run produced
are searched: the values may only be there sealed, so the count must be 0.
(The email to the person does carry their name: that is what it is for.)
"""

from __future__ import annotations

import logging
import random
import string
import subprocess

import pytest
import redis
from sqlalchemy import func, select

from intake.models import QueueItem, Submission
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


def stores_to_search(records: list[logging.LogRecord]) -> dict[str, str]:
    """Everything the run left behind, lower-cased: a PostgreSQL dump, Redis, the log lines."""
    dump = subprocess.run(  # noqa: S603
        ["pg_dump", "--data-only", TEST_DATABASE_URL], capture_output=True, check=True
    ).stdout.decode("utf-8", "replace")
    return {
        "PostgreSQL dump": dump.lower(),
        "Redis": _redis_dump(TEST_REDIS_URL).decode("utf-8", "replace").lower(),
        "logs": "\n".join(r.getMessage() + (r.exc_text or "") for r in records).lower(),
    }


def found_in(stores: dict[str, str], canaries: list[str]) -> list[tuple[str, str]]:
    """Each (store, value) where a canary value turned up."""
    return [(where, c) for where, text in stores.items() for c in canaries if c.lower() in text]


def test_canary_values_are_never_in_the_database_dump_redis_or_the_logs(
    mail_app,
    smtp,
    caplog,  # noqa: F811
):
    rng = random.Random()
    first, last, street = "Qx" + _word(rng), "Zy" + _word(rng), "Wv" + _word(rng)
    email = f"canary.{_word(rng, 10)}@example.com"
    digits = f"{rng.randint(0, 99):02d}"
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

    stores = stores_to_search(caplog.records)
    assert "insert" in stores["PostgreSQL dump"] or "copy" in stores["PostgreSQL dump"]
    assert found_in(stores, canaries) == []
    # the run did log: the search had something to search
    assert len(caplog.records) > 10, f"too few log records; loggers found disabled: {silenced}"
