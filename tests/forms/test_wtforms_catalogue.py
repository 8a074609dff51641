"""WTForms' own messages in the page's language, from a catalogue read once per process.

Flask-WTF re-read WTForms' catalogue from disk on every request (11-12% of
the intake POST); ``intake.forms.wtforms_catalogue`` keeps each language's.
These tests hold both halves: the message is still in the reader's language,
and the file is read once however many requests ask.
"""

from __future__ import annotations

from typing import Any

import pytest
from babel import support
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from intake.forms import wtforms_catalogue
from intake.forms.fields import PublicForm


class _Choice(PublicForm):
    colour = SelectField(choices=[SelectChoice("red", "Red"), SelectChoice("blue", "Blue")])


def _choice_errors(app: Any, query: str) -> list[str]:
    with app.test_request_context(f"/{query}", method="POST", data={"colour": "green"}):
        form = _Choice(meta={"csrf": False})
        assert form.validate() is False
        return list(form.colour.errors)


@pytest.mark.parametrize(
    ("query", "message"), [("?lang=es", "Opción inválida."), ("", "Not a valid choice.")]
)
def test_wtforms_messages_speak_the_pages_language(app, query, message):
    assert _choice_errors(app, query) == [message]


def test_the_catalogue_is_read_once_for_many_requests(app, monkeypatch):
    reads: list[Any] = []
    load = support.Translations.load

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(kwargs.get("domain"))
        return load(*args, **kwargs)

    wtforms_catalogue._catalogue.cache_clear()
    monkeypatch.setattr(support.Translations, "load", counted)
    for _ in range(5):
        assert _choice_errors(app, "?lang=es") == ["Opción inválida."]
    # the control: the counter hears the read the first request makes
    assert reads == ["wtforms"]
