"""Every error page speaks our own words, in English and Spanish, never Werkzeug's."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import default_exceptions

from intake.views import error_words

# What Werkzeug would say on its own, beyond each status's name and stock description.
FRAMEWORK_TEXT = ("Forbidden", "You don't have the permission", "The server could not",
                  "requested URL", "Werkzeug", "Traceback")  # fmt: skip
STATUSES = sorted(default_exceptions)


def _render(app, path: str, status: int, language: str = "en") -> tuple[int, str]:
    """The page the app's own handlers give for ``status`` raised on ``path``."""
    headers = {"Accept-Language": "es-MX,es;q=0.9"} if language == "es" else {}
    with app.test_request_context(path, headers=headers):
        response = app.make_response(app.handle_http_exception(default_exceptions[status]()))
        return response.status_code, response.get_data(as_text=True)


def _framework_words(status: int) -> list[str]:
    error = default_exceptions[status]()
    return [*FRAMEWORK_TEXT, error.name, (error.description or "").split(".")[0]]


PLACES = [("/privacy", "en"), ("/privacy", "es"), ("/admin/staff", "en"), ("/advocate/", "es")]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize(("path", "language"), PLACES)
def test_every_status_has_our_own_page(app, status, path, language):
    code, html = _render(app, path, status, language)
    assert code == status
    for text in _framework_words(status):
        assert text not in html, f"{status} on {path} shows {text!r}"
    staff = path.startswith(("/admin", "/advocate"))
    words = error_words.words_for(status, "en" if staff else language, staff)
    assert words.title in html.replace("&#39;", "'")
    if staff:  # the staff layout, in English whatever the browser prefers
        assert "Staff area" in html and 'lang="es"' not in html
    elif language == "es":
        assert 'lang="es"' in html and "llámenos" in html


def test_spanish_words_exist_for_every_status():
    for status in STATUSES:
        spanish, english = error_words.words_for(status, "es"), error_words.words_for(status)
        assert spanish.title != english.title and spanish.message != english.message, status


def test_real_404_and_405_in_spanish(client):
    spanish = {"Accept-Language": "es"}
    missing = client.get("/no-such-page", headers=spanish)
    assert missing.status_code == 404 and "No encontramos esa página" in missing.text
    wrong = client.post("/privacy", headers=spanish)
    assert wrong.status_code == 405 and "No está permitido" in wrong.text
    assert "Not Found" not in missing.text and "Method Not Allowed" not in wrong.text


def test_the_json_api_gives_a_code_and_our_words(client):
    response = client.get("/api/v1/no-such-thing")
    body = response.get_json()
    assert response.status_code == 404 and body["error"] == "not_found"
    assert "requested URL" not in body["detail"]


def test_a_crash_on_a_staff_page_is_our_staff_page(app, client, login_as, monkeypatch):
    def broken():
        raise ValueError("a bug")

    monkeypatch.setitem(app.view_functions, "advocate.me", broken)
    login_as("advocate")
    response = client.get("/advocate/me")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "tell an administrator" in response.text and "Back to the queue" in response.text
    assert "Internal Server Error" not in response.text and "a bug" not in response.text
