"""Two partner requests at the same instant with the same Idempotency-Key, on real PostgreSQL
and committed: one lead, the same answer to both; with different bodies, one lead and a 422.

Each runs for a one-request lead (the submission and its answer in one
statement) and for the documented two-request example (one transaction).
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from intake.models import IdempotencyRecord, Submission
from intake.models.base import utcnow
from intake.services.inbox import api_keys
from intake.views.api.openapi_leads import EXAMPLE

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


def _body(n: int, best_time: str = "morning", requests: int = 2) -> Any:
    body = copy.deepcopy(EXAMPLE)
    body["consent"]["given_at"] = f"2026-11-29T09:{n:02d}:00Z"
    body["callback"]["best_time"] = best_time
    if requests == 1:
        del body["guide"]
    return body


def _count(session: Any, model: Any, *where: Any) -> int:
    session.rollback()
    return int(session.scalar(select(func.count()).select_from(model).where(*where)))


@pytest.mark.parametrize("requests", [1, 2])
def test_two_requests_with_one_key_at_once_make_one_lead(app, committed_db, requests):
    key = api_keys.create_key(committed_db, "Race Partner", "cli").secret
    committed_db.commit()
    for n in range(ROUNDS):
        idem = str(uuid.uuid4())
        body = _body(n, requests=requests)
        first, second = _race(app, key, [body, body], idem)
        assert first[1]["id"] == second[1]["id"], (first, second)
        assert {first[0], second[0]} <= {200, 202}
        assert _count(committed_db, Submission, Submission.lead_id == first[1]["id"]) == requests
    assert _count(committed_db, Submission) == requests * ROUNDS
    assert _count(committed_db, IdempotencyRecord) == ROUNDS


@pytest.mark.parametrize("requests", [1, 2])
def test_two_bodies_racing_on_one_key_make_one_lead_and_a_422(app, committed_db, requests):
    key = api_keys.create_key(committed_db, "Race Partner", "cli").secret
    committed_db.commit()
    for n in range(ROUNDS):
        bodies = [_body(n, "morning", requests), _body(n, "evening", requests)]
        answers = _race(app, key, bodies, str(uuid.uuid4()))
        statuses = sorted(status for status, _ in answers)
        assert statuses == [202, 422], answers
    # the loser's rows were withdrawn with its statement or transaction
    assert _count(committed_db, Submission) == requests * ROUNDS
    assert _count(committed_db, IdempotencyRecord) == ROUNDS


def test_each_way_back_from_the_one_statement_path_on_committed_rows(app, committed_db):
    """A one-request lead that is not new, or under a key used before, writes nothing in its
    one statement and gets the transaction's answer: a replay, the first lead, a 422, or
    (past 24 hours) a new lead under the old key."""
    key = api_keys.create_key(committed_db, "Sequential Partner", "cli").secret
    committed_db.commit()
    client = app.test_client()

    def post(body: Any, idem: str | None) -> Any:
        headers = {"Authorization": f"Bearer {key}"} | ({"Idempotency-Key": idem} if idem else {})
        response = client.post("/api/v1/leads", data=json.dumps(body),
                               content_type="application/json", headers=headers)  # fmt: skip
        return response.status_code, response.get_json(force=True), response.headers

    first_key, body = str(uuid.uuid4()), _body(1, requests=1)
    status, first, _ = post(body, first_key)
    assert status == 202
    status, again, headers = post(body, first_key)  # a retry: replayed, nothing new
    assert (status, again, headers["Idempotent-Replayed"]) == (202, first, "true")
    status, other, _ = post(_body(1, "evening", 1), first_key)  # another body, same key
    assert status == 422 and other["type"].endswith("idempotency-key-reused")
    status, resent, _ = post(body, str(uuid.uuid4()))  # the same lead under a new key
    assert (status, resent["id"]) == (200, first["id"])
    unkeyed = _body(2, requests=1)
    assert post(unkeyed, None)[0] == 202  # sent first without a key, then with one
    status, keyed, _ = post(unkeyed, str(uuid.uuid4()))
    assert status == 200
    assert _count(committed_db, Submission) == 2
    assert _count(committed_db, IdempotencyRecord) == 3

    committed_db.execute(update(IdempotencyRecord).values(expires_at=utcnow() - timedelta(hours=1)))
    committed_db.commit()
    status, renewed, _ = post(_body(3, requests=1), first_key)  # the expired key, a new body
    assert status == 202 and renewed["id"] != first["id"]
    assert _count(committed_db, Submission) == 3


@pytest.mark.parametrize("idempotency", [True, False])
def test_a_key_this_process_remembers_writes_nothing_once_revoked(app, committed_db, idempotency):
    """The web process remembers keys it recognised, but each write checks the key is live
    in its own statement: the first request after a revocation is a 401 and stores nothing,
    and the lead-status read looks the key up afresh."""
    issued = api_keys.create_key(committed_db, "Revoked Partner", "cli")
    key, key_id = issued.secret, issued.key.id
    committed_db.commit()
    client = app.test_client()

    def post(n: int, requests: int) -> Any:
        headers = {"Authorization": f"Bearer {key}"}
        if idempotency:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        return client.post("/api/v1/leads", data=json.dumps(_body(n, requests=requests)),
                           content_type="application/json", headers=headers)  # fmt: skip

    first = post(1, 1)
    assert first.status_code == 202  # recognised, and now remembered
    api_keys.revoke_key(committed_db, key_id, "cli")  # as an admin in another process would
    committed_db.commit()
    for n, requests in ((2, 1), (3, 2)):  # the one-statement path and the transaction path
        refused = post(n, requests)
        assert refused.status_code == 401, refused.get_data(as_text=True)
        assert "revoked" in refused.get_json(force=True)["detail"]
    status = client.get(first.headers["Location"], headers={"Authorization": f"Bearer {key}"})
    assert status.status_code == 401
    assert _count(committed_db, Submission) == 1
    assert _count(committed_db, IdempotencyRecord) == (1 if idempotency else 0)


def test_a_remembered_key_revoked_since_hears_401_not_what_was_wrong_with_its_body(
    app, committed_db
):
    issued = api_keys.create_key(committed_db, "Revoked Partner", "cli")
    committed_db.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {issued.secret}"}
    good = client.post("/api/v1/leads", data=json.dumps(_body(1, requests=1)),
                       content_type="application/json", headers=headers)  # fmt: skip
    assert good.status_code == 202  # the key is remembered now
    api_keys.revoke_key(committed_db, issued.key.id, "cli")
    committed_db.commit()
    for body, content_type in (("{not json", "application/json"), ("{}", "application/json"),
                               ("x", "text/plain")):  # fmt: skip
        refused = client.post("/api/v1/leads", data=body, content_type=content_type,
                              headers=headers)  # fmt: skip
        assert refused.status_code == 401, refused.get_data(as_text=True)
        assert "revoked" in refused.get_json(force=True)["detail"]
