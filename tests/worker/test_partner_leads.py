"""A partner's lead goes the way of a form through a real worker, and its values stay sealed.

The lead (a guide by email and a callback) is POSTed with values found
nowhere else; a real worker processes it (the guide email through an SMTP
server, the callback queue, matching).  The status endpoint then says the
guide was sent, and a ``pg_dump``, every Redis key and value, and every log
line of the run, and every task message as published, hold none of the values
(the email to the person, the control, does); each of them first shows that it
holds this lead's own run (tests/worker/test_canary.py).
"""

from __future__ import annotations

import copy
import json
import logging
import random

import pytest
import redis
from sqlalchemy import func, select

from intake.models import ConsentRecord, QueueItem, Submission
from intake.services.inbox import api_keys
from intake.views.api.openapi_leads import EXAMPLE
from tests.conftest import TEST_REDIS_URL
from tests.worker.conftest import drain, running_worker
from tests.worker.test_canary import (
    _numbers_no_listing_has,
    _word,
    assert_the_stores_hold_this_run,
    found_in,
    stores_to_search,
)
from tests.worker.test_canary import (
    published as published,  # the fixture
)
from tests.worker.test_guide_email import mail_app as mail_app  # the fixture

pytestmark = pytest.mark.committed


def test_a_partner_lead_is_processed_like_a_form_and_its_values_stay_sealed(
    mail_app,
    smtp,
    caplog,  # noqa: F811
    published,  # noqa: F811
):
    rng = random.Random()
    first, last = "Qx" + _word(rng), "Zy" + _word(rng)
    email = f"canary.{_word(rng, 10)}@example.com"
    digits = rng.choice(_numbers_no_listing_has())  # a demo listing's own is no leak
    canaries = [first, last, email, f"21255501{digits}", f"212-555-01{digits}"]
    logging.disable(logging.NOTSET)
    for name in ("intake", "worker", "celery"):
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.DEBUG)
    lead = copy.deepcopy(EXAMPLE)
    for part in ("guide", "callback"):
        lead[part].update(first_name=first, last_name=last, email=email)
    lead["callback"]["phone"] = f"212-555-01{digits}"
    with mail_app.app_context():
        from intake.extensions import db

        key = api_keys.create_key(db.session(), "Canary Partner", "cli").secret
        db.session.commit()
    client = mail_app.test_client()
    auth = {"Authorization": f"Bearer {key}"}
    with running_worker(mail_app):
        response = client.post("/api/v1/leads", data=json.dumps(lead), headers=auth,
                               content_type="application/json")  # fmt: skip
        assert response.status_code == 202, response.get_data(as_text=True)
        status_url = response.headers["Location"]
        response.close()  # as a WSGI server does once the body is sent: the worker is told
        [message] = smtp.wait_for(1, timeout=60)
        assert email in str(message["To"]) and first in message.get_body(("plain",)).get_content()
        with mail_app.app_context():
            from intake.extensions import db

            def done() -> bool:
                db.session.rollback()
                queued = db.session.scalar(select(func.count()).select_from(QueueItem))
                waiting = db.session.scalar(
                    select(func.count()).select_from(Submission)
                    .where(Submission.processed_at.is_(None)))  # fmt: skip
                sent = client.get(status_url, headers=auth).get_json()
                return bool(queued) and not waiting and sent["status"] == "guide_sent"

            drain(mail_app, done, timeout=60)
            records = db.session.scalar(select(func.count()).select_from(ConsentRecord))
            assert records == 4  # calls, guide email, follow-up emails from each request
    status = client.get(status_url, headers=auth).get_json()
    assert status["requests"] == {"guide": "sent", "callback": "queued"}
    assert [e["event"] for e in status["events"]] == ["received", "guide_sent"]

    stores = stores_to_search(caplog.records, published)
    with mail_app.app_context():
        from intake.extensions import db

        assert_the_stores_hold_this_run(
            db.session(), caplog.records, published, stores["PostgreSQL dump"]
        )
        [lead_id] = set(db.session.scalars(select(Submission.lead_id)))
    assert lead_id and lead_id in status_url and lead_id.lower() in stores["PostgreSQL dump"]
    assert found_in(stores, canaries) == []
    assert key.lower() not in stores["PostgreSQL dump"] and key.lower() not in stores["logs"]
    assert key.lower() not in stores["task messages"]
    redis.Redis.from_url(TEST_REDIS_URL).ping()
