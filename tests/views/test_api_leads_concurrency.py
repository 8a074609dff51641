"""Two partner requests at the same instant with the same Idempotency-Key, on real PostgreSQL
and committed: one lead, the same answer to both; with different bodies, one lead and a 422."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from intake.models import IdempotencyRecord, Submission
from intake.services import api_keys
from intake.views.openapi_leads import EXAMPLE

pytestmark = pytest.mark.committed
ROUNDS = 8


def _race(app: Any, key: str, bodies: list[Any], idem: str) -> list[Any]:
    """POST each body from its own thread (its own app context and connection), all at once."""
    barrier = threading.Barrier(len(bodies), timeout=30)
    answers: list[Any] = [None] * len(bodies)
    errors: list[BaseException] = []

    def send(index: int) -> None:
        try:
            client = app.test_client()
            barrier.wait()
            response = client.post(
                "/api/v1/leads", data=json.dumps(bodies[index]), content_type="application/json",
                headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idem},
            )  # fmt: skip
            answers[index] = (response.status_code, response.get_json(force=True))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return answers


def _body(n: int, best_time: str = "morning") -> Any:
    body = copy.deepcopy(EXAMPLE)
    body["consent"]["given_at"] = f"2026-11-29T09:{n:02d}:00Z"
    body["callback"]["best_time"] = best_time
    return body


def _count(session: Any, model: Any, *where: Any) -> int:
    session.rollback()
    return int(session.scalar(select(func.count()).select_from(model).where(*where)))


def test_two_requests_with_one_key_at_once_make_one_lead(app, committed_db):
    key = api_keys.create_key(committed_db, "Race Partner", "cli").secret
    committed_db.commit()
    for n in range(ROUNDS):
        idem = str(uuid.uuid4())
        first, second = _race(app, key, [_body(n), _body(n)], idem)
        assert first[1]["id"] == second[1]["id"], (first, second)
        assert {first[0], second[0]} <= {200, 202}
        assert _count(committed_db, Submission, Submission.lead_id == first[1]["id"]) == 2
    assert _count(committed_db, Submission) == 2 * ROUNDS
    assert _count(committed_db, IdempotencyRecord) == ROUNDS


def test_two_bodies_racing_on_one_key_make_one_lead_and_a_422(app, committed_db):
    key = api_keys.create_key(committed_db, "Race Partner", "cli").secret
    committed_db.commit()
    for n in range(ROUNDS):
        answers = _race(app, key, [_body(n, "morning"), _body(n, "evening")], str(uuid.uuid4()))
        statuses = sorted(status for status, _ in answers)
        assert statuses == [202, 422], answers
    assert _count(committed_db, Submission) == 2 * ROUNDS  # the loser's rows were withdrawn
