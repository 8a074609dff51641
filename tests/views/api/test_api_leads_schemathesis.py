"""schemathesis against the partner endpoints, with a live API key: 0 server errors, 0 responses
outside the document (status, content type, body schema), whatever the generated lead."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from intake.services.inbox import api_keys
from intake.views.api import openapi
from tests.views.api.test_api_schemathesis import CHECKS

schema = schemathesis.openapi.from_dict(openapi.document()).include(path_regex="^/api/v1/leads")


@pytest.fixture
def partner_key(db_session: Any) -> str:
    return api_keys.create_key(db_session, "Schemathesis Partner", "cli").secret


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_partner_api_conforms_to_its_openapi_document(
    case: Any, app: Any, db_session: Any, partner_key: str
) -> None:
    # the generated case may carry a made-up bearer token of its own: use the live key
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {partner_key}"}
    case.call_and_validate(app=app, checks=CHECKS)
