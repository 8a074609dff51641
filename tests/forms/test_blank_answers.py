"""A required answer of white space only is no answer.

The text fields are trimmed by a filter before their validators run, and
``InputRequired`` looks at the raw posted text: "   " passed it and was then
stored as an empty first name, phone, ZIP or email (a callback without a phone
to call failed on its way to the inbox).  ``DataRequired`` checks the trimmed
value.  Each case here failed before the fix (the fuzz run found them).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from intake.models import Submission
from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE, field_errors, submit
from tests.views.conftest import post_form

BLANKS = ["   ", "\t", " \u00a0 ", "\u3000", "\u2003\u2003"]


def _stored(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Submission))


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("first_name", "Please enter your first name."),
        ("phone", "Please enter the phone number we should call."),
        ("zip", "Please enter your ZIP code."),
    ],
)
def test_the_callback_form_refuses_a_blank_required_answer(
    client, db_session, blank, field, message
):
    response = submit(client, "/callback", GOOD_CALLBACK, process=False, **{field: blank})
    assert response.status_code == 400
    assert message in field_errors(response)
    assert _stored(db_session) == 0


@pytest.mark.parametrize("blank", BLANKS)
def test_the_guide_form_refuses_a_blank_first_name(client, db_session, blank):
    response = submit(client, "/guide", GOOD_GUIDE, process=False, first_name=blank)
    assert response.status_code == 400
    assert "Please enter your first name." in field_errors(response)
    assert _stored(db_session) == 0


@pytest.mark.parametrize("blank", BLANKS)
def test_the_deletion_form_refuses_a_blank_email(client, db_session, blank):
    response = post_form(client, "/privacy/delete", {"email": blank})
    assert response.status_code == 400
    assert "Please enter the email address you gave us." in field_errors(response)


@pytest.mark.parametrize("blank", BLANKS)
def test_the_match_page_refuses_a_blank_zip(client, blank):
    response = client.get("/match", query_string={"cancer_type": "pleural", "zip": blank})
    assert response.status_code == 400
    assert "Please enter a ZIP code." in field_errors(response)
