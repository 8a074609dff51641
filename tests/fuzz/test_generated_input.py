"""The fuzz run, short: generated hostile input never makes a 500, a bad email or a bad row.

The strategies are ``bench/fuzz_targets.py``'s (the long run is ``bench/fuzz.py``);
a few examples each, so the whole file takes seconds.  In the test app an
unhandled exception is raised here rather than answered with a 500, so a
crash fails the test with its traceback.
"""

from __future__ import annotations

import urllib.parse
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bench import fuzz_checks
from bench.fuzz_targets import TARGETS, email_text, name_text
from intake.models import EmailDelivery
from intake.services import outgoing
from intake.services.directory import specialists
from intake.services.inbox import api_keys
from tests.conftest import GOOD_GUIDE, form_tokens, process_received

FEW = settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _send(client, request, token: str = "", key: str = ""):
    body = request.body
    if request.csrf == "good" and token and request.content_type.endswith("urlencoded"):
        body = (body + b"&" if body else b"") + b"csrf_token=" + token.encode()
    headers = {k: v for k, v in request.headers.items() if not k.startswith("X-Fuzz")}
    if request.target == "api_leads":
        if request.headers.get("X-Fuzz-Auth") == "good":
            headers["Authorization"] = f"Bearer {key}"
        if request.headers.get("X-Fuzz-Idem") in ("new", "reuse"):
            headers["Idempotency-Key"] = str(uuid.uuid4())
    query = urllib.parse.urlencode(request.query)
    response = client.open(request.path, method=request.method, data=body,
                           content_type=request.content_type, query_string=query,
                           headers=headers)  # fmt: skip
    response.get_data()
    response.close()
    return response


@FEW
@given(request=st.one_of(TARGETS["guide"], TARGETS["callback"], TARGETS["privacy_delete"]))
def test_the_public_forms_never_fail_and_what_they_accept_processes(app, client, request):
    token = form_tokens(client, "/guide")["csrf_token"]
    response = _send(client, request, token)
    assert response.status_code in (200, 303, 400, 413), request.describe()
    assert process_received(app) == [], "a form the page accepted failed in the inbox"


@pytest.fixture
def demo_listings(db_session):
    specialists.load_demo(db_session)  # once for all of a test's examples (one transaction)


@FEW
@given(request=st.one_of(TARGETS["match_page"], TARGETS["api_match"], TARGETS["links"]))
def test_searches_and_secret_links_answer_without_a_server_error(client, demo_listings, request):
    response = _send(client, request)
    assert response.status_code < 500, request.describe()


@FEW
@given(request=TARGETS["api_leads"])
def test_partner_leads_answer_without_a_server_error(app, client, db_session, request):
    key = api_keys.create_key(db_session, "Fuzz Partner", "cli").secret
    response = _send(client, request, key=key)
    assert response.status_code in (200, 202, 400, 401, 409, 413, 415, 422), request.describe()
    assert process_received(app) == [], "a lead the API accepted failed in the inbox"


@settings(FEW, max_examples=4)
@given(first_name=name_text(), last_name=name_text(), email=email_text())
def test_a_guide_email_to_any_accepted_person_has_exactly_our_headers(
    app, client, db_session, smtp, first_name, last_name, email
):
    smtp.script.smtputf8 = True  # an international address is sent, not failed
    taken = len(smtp.raw)
    data = {**GOOD_GUIDE, "first_name": first_name, "last_name": last_name, "email": email}
    response = client.post("/guide", data={**form_tokens(client, "/guide"), **data})
    response.close()
    if response.status_code != 303:
        return
    assert process_received(app) == []
    for delivery in db_session.scalars(select(EmailDelivery).where(EmailDelivery.id > 0)):
        outgoing.send_delivery(db_session, delivery.id)
    findings = fuzz_checks.Findings()
    for envelope, raw in zip(smtp.envelopes[taken:], smtp.raw[taken:], strict=True):
        fuzz_checks.check_message(envelope.rcpt_tos, raw, findings)
    assert findings.total == 0, findings.examples


@FEW
@given(request=st.one_of(TARGETS["guide"], TARGETS["callback"], TARGETS["api_leads"]))
def test_every_case_made_gives_a_query_the_matcher_takes(app, client, db_session, request):
    key = api_keys.create_key(db_session, "Fuzz Partner", "cli").secret
    _send(client, request, form_tokens(client, "/guide")["csrf_token"], key)
    assert process_received(app) == []
    findings = fuzz_checks.Findings()
    fuzz_checks.check_cases(app, findings, after_id=0)
    assert findings.total == 0, findings.examples
