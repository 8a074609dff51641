"""Public form fields copied from a kept template are the fields WTForms would have built.

``intake/forms/binding.py`` builds each field of a public form once per
process and copies it for every request (a fifth of the intake POST's
CPU went to building them anew).  These tests hold what that must not
change: every field's state equals a plainly built one, in every language,
before and after the form is filled in; nothing one request changes on its
fields reaches the next; and the CSRF field, which belongs to its own form,
is always built anew.  The first test proves the templates are really used,
so the others compare two different paths.
"""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import Field, Flags, Label, UnboundField

from intake.forms import binding
from intake.forms.callback import CallbackForm
from intake.forms.guide import GuideForm
from intake.forms.privacy import DeletionRequestForm
from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE

KEY = {"submission_key": "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d"}  # else each form draws its own
FORMS = [
    (CallbackForm, {**GOOD_CALLBACK, **KEY}),
    (GuideForm, {**GOOD_GUIDE, "zip": "10001", **KEY}),
    (DeletionRequestForm, {"email": "maria.lopez@example.com"}),
]
HOSTILE = {
    "first_name": "<script>alert(1)</script>",
    "phone": "12",
    "email": "not an email\r\nBcc: x@example.com",
    "relationship": "' OR 1=1 --",
    "stage": " ",
    "zip": "99999",
    "topics": ["treatment", "nothing"],
}


def _plain(form: Any, unbound: UnboundField, options: dict[str, Any]) -> Field:
    """What WTForms does without the templates: a new field from its declaration."""
    return unbound.bind(form=form, **options)


def _state(field: Field) -> dict[str, Any]:
    """A field's own attributes, comparable across two forms (the form itself left out)."""
    state: dict[str, Any] = {}
    for key, value in vars(field).items():
        if key in {"_form", "meta"}:
            continue
        if isinstance(value, Label):
            value = ("label", value.field_id, str(value.text))
        elif isinstance(value, Flags):
            value = ("flags", sorted(vars(value).items()))
        state[key] = value
    return state


def _build(app: Any, form_class: Any, data: dict[str, Any] | None, query: str = "") -> Any:
    with app.test_request_context(f"/{query}", method="POST"):
        form = form_class(formdata=MultiDict(data) if data is not None else None)
        if data is not None:
            form.validate()
        return form


def test_fields_after_the_first_form_are_copied_not_built(app, monkeypatch):
    built: list[str] = []
    bind = UnboundField.bind

    def counted(self: UnboundField, *args: Any, **kwargs: Any) -> Field:
        built.append(kwargs["name"])
        return bind(self, *args, **kwargs)

    monkeypatch.setattr(UnboundField, "bind", counted)
    for name in dir(CallbackForm):  # forget the templates earlier tests made
        declared = getattr(CallbackForm, name)
        if isinstance(declared, UnboundField):
            vars(declared).pop(binding._KEPT, None)
    _build(app, CallbackForm, GOOD_CALLBACK)
    first = list(built)
    built.clear()
    _build(app, CallbackForm, GOOD_CALLBACK)
    # the control: the counter hears every field the first form builds
    assert "phone" in first and "csrf_token" in first and len(first) == 18
    assert built == ["csrf_token"]  # the CSRF field belongs to its own form: always built


@pytest.mark.parametrize("query", ["", "?lang=es"])
@pytest.mark.parametrize("data", ["good", "hostile", None])
@pytest.mark.parametrize(("form_class", "good"), FORMS)
def test_a_copied_form_equals_a_built_one(app, monkeypatch, form_class, good, data, query):
    payload = {"good": good, "hostile": {**good, **HOSTILE}, None: None}[data]
    with monkeypatch.context() as patch:
        patch.setattr(binding, "bind_field", _plain)
        expected = _build(app, form_class, payload, query)
    for _ in range(2):  # the first builds the template, the second is copied from it
        copied = _build(app, form_class, payload, query)
    assert copied.data == expected.data
    assert copied.errors == expected.errors
    for name, field in copied._fields.items():
        if name == "csrf_token":
            continue
        assert _state(field) == _state(expected[name]), name
        assert field._form is copied and field.meta is copied.meta


def test_what_one_request_changes_on_a_field_stays_in_that_request(app):
    first = _build(app, CallbackForm, None)
    second = _build(app, CallbackForm, None)
    first.language.choices.append(("xx", "Klingon"))
    first.phone.flags.required = "changed"
    first.phone.label.text = "changed"
    first.email.render_kw = {"autofocus": True}
    third = _build(app, CallbackForm, None)
    for later in (second, third):
        assert ("xx", "Klingon") not in later.language.choices
        assert later.phone.flags.required is True
        assert str(later.phone.label.text) == "Phone number"
        assert later.email.render_kw is None


def test_the_csrf_field_is_its_own_forms(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    forms = [_build(app, CallbackForm, None) for _ in range(3)]
    for form in forms:
        assert form.csrf_token.csrf_impl is form._csrf
