"""A choice of white space only is no choice: it is stored as "not given", never as itself.

``Optional`` takes "  " for an empty answer and stops the checks before the
choice is compared with the options, so a cell type, diagnosis type or stage
of white space was kept and stored; the worker's match query then refused
it ("Choose a cell type, or 'not sure yet'.") on every try, and the guide's
"Specialists near you" page could not be drawn.  The page and the partner
API share the form, so both stored it (the fuzz run found it).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.models import Case
from intake.services.directory import match_query, specialists
from intake.services.inbox import api_keys
from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE, field_errors, process_received, submit
from tests.forms.test_blank_answers import _stored

BLANK_FACTS = {"diagnosis_type": " ", "stage": "\t", "cell_type": "  "}


def _cases_match(db_session) -> list[Case]:
    specialists.load_demo(db_session)
    cases = list(db_session.scalars(select(Case)))
    for case in cases:  # raised QueryError before the fix
        match_query.record_case_matches(db_session, case.id)
    return cases


@pytest.mark.parametrize("field", sorted(BLANK_FACTS))
def test_a_blank_choice_on_the_guide_form_is_stored_as_not_given(client, db_session, field):
    facts = {"diagnosis_type": "pleural", "zip": "10001", field: BLANK_FACTS[field]}
    response = submit(client, "/guide", {**GOOD_GUIDE, **facts})
    assert response.status_code == 303
    [case] = _cases_match(db_session)
    assert getattr(case, field) is None


def test_a_blank_cell_type_from_a_partner_is_stored_as_not_given(client, db_session, app):
    key = api_keys.create_key(db_session, "Blank Partner", "cli").secret
    guide = {k: v for k, v in GOOD_GUIDE.items() if k not in ("topics", "deliver_email")}
    body = {
        "guide": {**guide, "zip": "10001", "cell_type": " ", "topics": ["treatment"],
                  "deliver_email": True},
        "consent": {"given_at": "2026-11-29T09:30:00Z", "ip_address": "203.0.113.7",
                    "wordings": {"guide_email": {"text": "Email me the free guide."}}},
    }  # fmt: skip
    response = client.post("/api/v1/leads", json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 202, response.get_data(as_text=True)
    assert process_received(app) == []
    [case] = _cases_match(db_session)
    assert case.cell_type is None and case.diagnosis_type == "peritoneal"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("relationship", "Please tell us who the patient is."),
        ("best_time", "Please choose a time."),
        ("language", "Please choose a language."),
    ],
)
def test_a_required_choice_of_white_space_is_still_refused(client, db_session, field, message):
    response = submit(client, "/callback", GOOD_CALLBACK, process=False, **{field: "  "})
    assert response.status_code == 400
    assert message in field_errors(response)
    assert _stored(db_session) == 0


def test_the_match_page_still_asks_for_the_type(client):
    response = client.get("/match", query_string={"cancer_type": " ", "zip": "10001"})
    assert response.status_code == 400
    assert "Please choose the type of mesothelioma, or 'Not sure yet'." in field_errors(response)
