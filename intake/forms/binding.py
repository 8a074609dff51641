"""Public form fields bound from a kept template instead of built anew on every request.

WTForms builds each field of a form from its declaration on every request
(``UnboundField.bind`` runs the field's constructor: validators checked,
flags collected, label made, choices copied).  For the 17 fields of the
callback form that was about 60 us of CPU per POST, a fifth of what
separated the intake from the one-insert baseline (``bench/RESULTS.md``).
What the constructor produces depends only on the declaration, the name,
the prefix and the translations, so it is built once per such key and kept;
each request gets a copy of that state, with its own form and meta and its
own copy of every mutable value (flags, label, choices, render options).

``Meta.bind_field`` is WTForms' documented hook for changing how fields are
bound.  Only fields the form's class declares are kept, and only for the
binding options WTForms itself passes: the CSRF field, which Flask-WTF
declares anew for each form (it holds that form's CSRF object), is built
as before and would only fill the cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wtforms.fields.core import Field, Flags, Label, UnboundField

# set per form by ``Field.__init__``: never taken from a template
_PER_FORM = frozenset({"_form", "meta", "_translations"})
_OPTIONS = frozenset({"name", "prefix", "translations"})
_MUTABLE = (list, dict, set)
# the declaration's own lists, which WTForms already shares between all bound copies
_SHARED = frozenset({"validators", "filters"})
# kept on the unbound field itself, so they live and die with the form class that declares it
_KEPT = "_intake_bound_templates"


@dataclass(frozen=True, slots=True)
class _Template:
    """What a freshly built field holds, and what each copy must not share with it."""

    cls: type[Field]
    state: dict[str, Any]
    mutable: tuple[str, ...]  # lists, dicts and sets: each copy gets its own
    flags: dict[str, Any] | None  # a copy gets its own ``Flags`` with these
    label: tuple[str, Any] | None  # and its own ``Label``


def bind_field(form: Any, unbound: UnboundField, options: dict[str, Any]) -> Field:
    """The field ``unbound.bind(form=form, **options)`` would build, from a kept template."""
    name = options.get("name", "")
    if not options.keys() <= _OPTIONS or not _declares(type(form), name, unbound):
        return unbound.bind(form=form, **options)
    translations = options.get("translations")
    key = (name, options.get("prefix", ""), id(translations))
    kept: dict[tuple[str, str, int], _Template] = vars(unbound).setdefault(_KEPT, {})
    template = kept.get(key)
    if template is None:
        field = unbound.bind(form=form, **options)
        kept[key] = _template_of(field)
        return field
    return _copy(template, form, translations)


def _declares(form_class: type, name: str, unbound: UnboundField) -> bool:
    """Whether the form's class declares this very field under this name."""
    return getattr(form_class, name, None) is unbound


def _template_of(field: Field) -> _Template:
    """A freshly built field's own state, and which of its values each copy must copy."""
    state = {k: v for k, v in vars(field).items() if k not in _PER_FORM}
    mutable = tuple(k for k, v in state.items() if isinstance(v, _MUTABLE) and k not in _SHARED)
    flags = state.get("flags")
    label = state.get("label")
    return _Template(
        type(field),
        state,
        mutable,
        dict(vars(flags)) if isinstance(flags, Flags) else None,
        (label.field_id, label.text) if isinstance(label, Label) else None,
    )


def _copy(template: _Template, form: Any, translations: Any) -> Field:
    field = object.__new__(template.cls)
    own = field.__dict__
    own.update(template.state)
    own["_form"] = form
    own["meta"] = form.meta
    if translations is not None:
        own["_translations"] = translations
    for key in template.mutable:
        own[key] = own[key].copy()
    if template.flags is not None:
        own["flags"] = flags = Flags()
        flags.__dict__.update(template.flags)
    if template.label is not None:
        own["label"] = Label(*template.label)
    return field
