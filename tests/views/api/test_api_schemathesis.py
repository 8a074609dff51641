"""Property-based check of the JSON API against its own OpenAPI document (schemathesis).

Schemathesis generates requests from the document the app serves at /api/v1/openapi.json,
sends them to the WSGI app in process, and checks that every response is documented: no
server error, a documented status code and content type, a body matching its schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from intake.services.directory import match_query
from intake.services.directory.specialists import load_demo
from intake.views.api import openapi

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# Loaded from the same function the endpoint serves (checked below), not through a fixture:
# schemathesis.pytest.from_fixture does not work with pytest 9.
schema = schemathesis.openapi.from_dict(openapi.document())


@pytest.fixture
def demo(db_session: Any) -> Iterator[Any]:
    """The 150 fictional demo listings, with the cached index rebuilt around the test."""
    assert load_demo(db_session).ok
    match_query.invalidate()
    yield db_session
    match_query.invalidate()


def test_the_document_under_test_is_the_one_served(client):
    assert client.get("/api/v1/openapi.json").get_json() == openapi.document()


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_openapi_document(case: Any, app: Any, demo: Any) -> None:
    case.call_and_validate(app=app, checks=CHECKS)
