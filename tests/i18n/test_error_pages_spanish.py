"""Error pages speak the message catalogue's words, in the language of the page they stand for.

Their headings, messages and the way home are msgids of the one catalogue
(``intake/views/error_words.py``, ``templates/errors/error.html``): the
Spanish is written once, in ``messages.po``, beside every other public
page's words, and no Spanish is left in the Python.  A form that timed out
(CSRF) comes back with its message in the page's language.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from werkzeug.exceptions import default_exceptions

from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE, form_tokens

ROOT = Path(__file__).resolve().parents[2]
NAMED = (400, 403, 404, 410, 429, 500, 503)  # the statuses issue 25 names
_H1 = re.compile(r"<h1>(.*?)</h1>", re.S)
_LEAD = re.compile(r'<p class="lead">(.*?)</p>', re.S)


def catalogue() -> dict[str, str]:
    """The Spanish catalogue as msgid -> msgstr (singular messages)."""
    with (ROOT / "translations/es/LC_MESSAGES/messages.po").open("rb") as source:
        return {m.id: m.string for m in read_po(source, locale="es") if isinstance(m.id, str)}


def _text(pattern: re.Pattern[str], html: str) -> str:
    found = pattern.search(html)
    assert found, html[:400]
    return " ".join(unescape(re.sub(r"<[^>]+>", "", found.group(1))).split())


def _error_page(app, status: int, language: str) -> str:
    with app.test_request_context(f"/privacy?lang={language}"):
        response = app.make_response(app.handle_http_exception(default_exceptions[status]()))
    assert response.status_code == status
    return response.get_data(as_text=True)


@pytest.mark.parametrize("status", sorted({*NAMED, *default_exceptions}))
def test_the_spanish_error_page_is_the_catalogues_translation(app, status):
    spanish_of = catalogue()
    english, spanish = _error_page(app, status, "en"), _error_page(app, status, "es")
    for pattern in (_H1, _LEAD):
        said = _text(pattern, english)
        assert said in spanish_of, f"{status}: {said!r} is not in the catalogue"
        assert spanish_of[said] and spanish_of[said] != said
        assert _text(pattern, spanish) == spanish_of[said]
    assert '<html lang="es">' in spanish and "Ir a la página de inicio" in spanish
    assert "Go to the home page" not in spanish and "glad to help" not in spanish


def test_no_spanish_is_left_in_the_python():
    source = (ROOT / "intake/views/error_words.py").read_text(encoding="utf-8")
    assert not re.search(r"[áéíóúñ¿¡]", source, re.I), "the Spanish belongs in messages.po"


FORMS = {
    "/guide": GOOD_GUIDE,
    "/callback": GOOD_CALLBACK,
    "/privacy/delete": {"email": "rosa.delgado@example.com"},
}


@pytest.mark.parametrize("path", FORMS)
def test_a_timed_out_spanish_form_says_so_in_spanish(client, path):
    from intake.views.error_words import CSRF_MESSAGE

    if path == "/privacy/delete":  # no submission key on this form
        assert client.get(f"{path}?lang=es").status_code == 200
        data = FORMS[path]
    else:
        tokens = form_tokens(client, f"{path}?lang=es")  # the switch's cookie: a Spanish page
        data = {**FORMS[path], "submission_key": tokens["submission_key"]}
    response = client.post(path, data=data)  # no CSRF token: the page "timed out"
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and '<html lang="es">' in html
    assert catalogue()[CSRF_MESSAGE] in html
    assert CSRF_MESSAGE not in html
