"""/admin/people: a contact number made of digits that are not ASCII is refused, never a 500.

``"²".isdigit()`` is true and ``int("²")`` raises: the search and the export and
erase buttons once took such a value as a number (the fuzz run found it).
"""

from __future__ import annotations

import pytest

from tests.views.conftest import post_form

NOT_ASCII_DIGITS = ["²", "①", "1²", "٣", "１２", "߁"]


@pytest.mark.parametrize("value", NOT_ASCII_DIGITS)
def test_the_search_says_digits_only(client, login_as, value):
    login_as("admin")
    response = post_form(client, "/admin/people", {"contact_id": value})
    assert response.status_code == 400
    assert "A contact number is digits only." in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/admin/people/export", "/admin/people/erase"])
@pytest.mark.parametrize("value", ["²", "①"])
def test_export_and_erase_answer_not_found(client, login_as, path, value):
    login_as("admin")
    response = post_form(client, path, {"contact_id": value, "confirmed": "yes"},
                         token_from="/admin/people")  # fmt: skip
    assert response.status_code == 404


def test_ascii_digits_still_search(client, login_as):
    login_as("admin")
    response = post_form(client, "/admin/people", {"contact_id": "12345"})
    assert response.status_code == 200
