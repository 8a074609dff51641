"""A partner's lead as JSON, validated by the same form classes as our own pages.

The JSON's ``guide`` and ``callback`` objects carry the fields of
``GuideForm`` and ``CallbackForm`` under the same names; each is turned
into form data and validated by that form (CSRF aside: the API key stands
in for it), so the API can never accept what the pages refuse.  The
``consent`` object says when and from which address the person agreed, and
which words they saw: a version we published, or the partner's own text.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, SelectMultipleField
from wtforms.fields.core import UnboundField

from intake.forms.callback import CallbackForm
from intake.forms.guide import GuideForm
from intake.models.consent import (
    PURPOSE_ADVOCATE_CALLS,
    PURPOSE_FOLLOWUP_EMAILS,
    PURPOSE_GUIDE_EMAIL,
)
from intake.services.inbox.leads import CallbackSubmission, GuideSubmission
from intake.services.people import consent

FORMS: dict[str, type[Any]] = {"guide": GuideForm, "callback": CallbackForm}
# the key and body stand in for these; a partner's consent names its own words (``shown_in``
# says which of our pages' wordings a person read, and a partner shows none of them)
NOT_FIELDS = ("csrf_token", "submission_key", "leave_empty", "shown_in")
PURPOSES = (PURPOSE_ADVOCATE_CALLS, PURPOSE_GUIDE_EMAIL, PURPOSE_FOLLOWUP_EMAILS)
CONSENT_TEXT_MAX = 4000
IDEMPOTENCY_KEY_MAX = 255
# a consent is reported soon after it is given: the partner's form posts it to us
GIVEN_AT_SKEW = timedelta(minutes=5)
EARLIEST_GIVEN_AT = datetime(2020, 1, 1, tzinfo=UTC)
# the JSON type each kind of form field takes
BOOLEAN, ARRAY, STRING = "boolean", "array", "string"

Problem = dict[str, str]  # {"field": "callback.phone", "message": "..."}


@dataclass(frozen=True)
class LeadInput:
    """A valid lead: one or both requests, and the consent the partner recorded."""

    guide: GuideSubmission | None
    callback: CallbackSubmission | None
    given_at: datetime
    ip_address: str
    # purpose -> {"version": ...} or {"version": "partner-...", "text": ...} (see consent.wording)
    wordings: dict[str, dict[str, str]]

    @property
    def forms(self) -> list[str]:
        return [name for name in FORMS if getattr(self, name) is not None]


class LeadInvalid(ValueError):
    """What is wrong with a lead, field by field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def field_specs(form_class: type[Any]) -> dict[str, tuple[str, Any]]:
    """Field name -> (JSON type, default) for a public form, in page order.

    Worked out once per form class (read, never changed, by every request).
    """
    specs = _SPECS.get(form_class)
    if specs is None:
        specs = _SPECS[form_class] = _work_out_specs(form_class)
    return specs


_SPECS: dict[type[Any], dict[str, tuple[str, Any]]] = {}


def _work_out_specs(form_class: type[Any]) -> dict[str, tuple[str, Any]]:
    specs: dict[str, tuple[str, Any]] = {}
    for name in (*form_class.page_order, *sorted(dir(form_class))):
        unbound = getattr(form_class, name, None)
        if name in specs or name in NOT_FIELDS or not isinstance(unbound, UnboundField):
            continue
        kind = STRING
        if issubclass(unbound.field_class, BooleanField):
            kind = BOOLEAN
        elif issubclass(unbound.field_class, SelectMultipleField):
            kind = ARRAY
        default = unbound.kwargs.get("default")
        if callable(default):  # follows the page's language: the API has no page, and is English
            default = default()
        specs[name] = (kind, default)
    return specs


def parse_lead(body: Any, now: datetime | None = None) -> LeadInput:
    """The validated lead, or ``LeadInvalid`` naming every bad field at once."""
    problems: list[Problem] = []
    if not isinstance(body, dict):
        raise LeadInvalid([{"field": "", "message": "The body must be a JSON object."}])
    for name in sorted(set(body) - {*FORMS, "consent"}):
        problems.append({"field": _short(name), "message": "Unknown field: remove it."})
    if not any(body.get(name) is not None for name in FORMS):
        problems.append(
            {"field": "", "message": 'Send a "guide" request, a "callback" request, or both.'}
        )
    submissions: dict[str, Any] = {}
    for name, form_class in FORMS.items():
        if body.get(name) is not None:
            submissions[name] = _validate_form(name, form_class, body[name], problems)
    grant = _consent(body.get("consent"), problems, now or datetime.now(UTC))
    if grant is not None:
        _check_wordings(grant[2], _purposes_needed(submissions), problems)
    if problems or grant is None:
        raise LeadInvalid(problems)
    given_at, ip, wordings = grant
    return LeadInput(submissions.get("guide"), submissions.get("callback"), given_at, ip, wordings)


def _short(name: Any) -> str:
    return str(name)[:60]


def _type_ok(kind: str, value: Any) -> bool:
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == ARRAY:
        return isinstance(value, list) and all(_is_text(item) for item in value)
    return _is_text(value)


def _is_text(value: Any) -> bool:
    """A string that can be stored: no lone surrogates (invalid Unicode in a JSON escape)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_TYPE_WORDS = {BOOLEAN: "true or false", ARRAY: "an array of strings", STRING: "a string"}


def _formdata(
    section: str, specs: dict[str, tuple[str, Any]], data: dict[str, Any], problems: list[Problem]
) -> MultiDict[str, str] | None:
    """The JSON object as the form data a browser would post; None if a type is wrong."""
    ok = True
    for name in sorted(set(data) - set(specs)):
        problems.append(
            {
                "field": f"{section}.{_short(name)}",
                "message": f"Unknown field: remove it (the fields are {', '.join(specs)}).",
            }
        )
        ok = False
    pairs: list[tuple[str, str]] = []
    for name, (kind, default) in specs.items():
        value = data.get(name, default)
        if value is None:
            continue
        if not _type_ok(kind, value):
            problems.append(
                {
                    "field": f"{section}.{name}",
                    "message": f"Must be {_TYPE_WORDS[kind]}"
                    + (" (valid Unicode)." if isinstance(value, str) else "."),
                }
            )
            ok = False
        elif kind == BOOLEAN:
            pairs += [(name, "y")] if value else []
        elif kind == ARRAY:
            pairs += [(name, item) for item in value]
        else:
            pairs.append((name, value))
    return MultiDict(pairs) if ok else None


def _validate_form(section: str, form_class: type[Any], data: Any, problems: list[Problem]) -> Any:
    """The form's own validation on the JSON object; its submission, or None."""
    if not isinstance(data, dict):
        problems.append({"field": section, "message": "Must be an object of the form's fields."})
        return None
    formdata = _formdata(section, field_specs(form_class), data, problems)
    if formdata is None:
        return None
    form = form_class(formdata=formdata, meta={"csrf": False})
    if form.validate():
        return form.to_submission()
    for field in form.in_page_order():
        problems += [{"field": f"{section}.{field.name}", "message": str(m)} for m in field.errors]
    problems += [{"field": section, "message": str(message)} for message in form.form_errors]
    return None


def _purposes_needed(submissions: dict[str, Any]) -> list[str]:
    """The consents the valid requests rely on: the ledger records each of them."""
    guide, callback = submissions.get("guide"), submissions.get("callback")
    needed = []
    if callback is not None:
        needed.append(PURPOSE_ADVOCATE_CALLS)
    if guide is not None and guide.person.email and guide.deliver_email:
        needed.append(PURPOSE_GUIDE_EMAIL)
    if (guide is not None and guide.followup_emails) or (
        callback is not None and callback.email_fallback
    ):
        needed.append(PURPOSE_FOLLOWUP_EMAILS)
    return needed


def _consent(data: Any, problems: list[Problem], now: datetime) -> Any:
    """(given_at, ip, wordings) from the consent object, or None with its problems said."""
    if not isinstance(data, dict):
        problems.append(
            {
                "field": "consent",
                "message": "Required: an object with given_at, ip_address and wordings.",
            }
        )
        return None
    before = len(problems)
    for name in sorted(set(data) - {"given_at", "ip_address", "wordings"}):
        problems.append(
            {"field": f"consent.{_short(name)}", "message": "Unknown field: remove it."}
        )
    given_at = _given_at(data.get("given_at"), problems, now)
    ip = data.get("ip_address")
    try:
        ip = str(ipaddress.ip_address(ip)) if isinstance(ip, str) and len(ip) <= 45 else None
    except ValueError:
        ip = None
    if ip is None:
        problems.append(
            {
                "field": "consent.ip_address",
                "message": "Required: the IPv4 or IPv6 "
                "address the person's browser sent the consent from.",
            }
        )
    wordings = _wordings(data.get("wordings"), problems)
    return None if len(problems) > before else (given_at, ip, wordings)


def _given_at(value: Any, problems: list[Problem], now: datetime) -> datetime | None:
    field = "consent.given_at"
    try:
        moment = (
            datetime.fromisoformat(value) if isinstance(value, str) and len(value) < 40 else None
        )
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        problems.append(
            {
                "field": field,
                "message": "Required: when the person agreed, as an "
                "ISO 8601 date-time with a UTC offset, e.g. 2026-11-29T14:03:00Z.",
            }
        )
        return None
    if moment > now + GIVEN_AT_SKEW:
        problems.append({"field": field, "message": "Is in the future: check the clock."})
    elif moment < EARLIEST_GIVEN_AT:
        problems.append({"field": field, "message": "Is before 2020: check the date."})
    return moment.astimezone(UTC)


def _wordings(data: Any, problems: list[Problem]) -> dict[str, dict[str, str]]:
    """Purpose -> the wording shown: a version we published, or the partner's own text."""
    if not isinstance(data, dict):
        problems.append(
            {
                "field": "consent.wordings",
                "message": "Required: an object naming, "
                f"for each consent purpose ({', '.join(PURPOSES)}), the words shown.",
            }
        )
        return {}
    wordings: dict[str, dict[str, str]] = {}
    for purpose, shown in data.items():
        field = f"consent.wordings.{_short(purpose)}"
        if purpose not in PURPOSES:
            problems.append(
                {"field": field, "message": f"Unknown purpose: use one of {', '.join(PURPOSES)}."}
            )
            continue
        wording = _wording(purpose, shown)
        if isinstance(wording, str):
            problems.append({"field": field, "message": wording})
        else:
            wordings[purpose] = wording
    return wordings


def _wording(purpose: str, shown: Any) -> dict[str, str] | str:
    """The wording as stored with the submission, or what is wrong with it."""
    published = sorted(t.version for t in consent.TEXTS.values() if t.purpose == purpose)
    if not isinstance(shown, dict) or len(shown) != 1 or not {"version", "text"} & set(shown):
        return 'Must be {"version": "..."} (one we published) or {"text": "..."} (your words).'
    if "version" in shown:
        if shown["version"] not in published:
            return f"Unknown version for this purpose: use one of {', '.join(published)}."
        return {"version": shown["version"]}
    text = shown["text"]
    if not _is_text(text) or not text.strip() or len(text) > CONSENT_TEXT_MAX:
        return f"The text must be the exact words shown, 1 to {CONSENT_TEXT_MAX} characters."
    fingerprint = hashlib.sha256(text.encode()).hexdigest()
    return {"version": f"partner-{fingerprint[:24]}", "text": text}


def _check_wordings(wordings: dict[str, Any], needed: list[str], problems: list[Problem]) -> None:
    for purpose in needed:
        if purpose not in wordings and not any(
            p["field"] == f"consent.wordings.{purpose}" for p in problems
        ):
            problems.append(
                {
                    "field": f"consent.wordings.{purpose}",
                    "message": "Required by "
                    "this lead: the words the person agreed to for this purpose.",
                }
            )


def with_key(submission: Any, key: str) -> Any:
    """The submission under the key that makes a resent lead count once."""
    return dataclasses.replace(submission, submission_key=key)
