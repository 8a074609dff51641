"""The partner API's part of the OpenAPI document: leads, their status, keys and problems.

The request schemas are read from the form classes the API validates with
(field names, types, choices, lengths, defaults, required fields), so the
document cannot promise what the forms refuse.
"""

from __future__ import annotations

from typing import Any

from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, Length

from intake.forms.partner_lead import (
    ARRAY,
    BOOLEAN,
    CONSENT_TEXT_MAX,
    FORMS,
    IDEMPOTENCY_KEY_MAX,
    PURPOSES,
    field_specs,
)
from intake.services.inbox import lead_status
from intake.services.people import consent

REF = "#/components/schemas/"
PATTERNS = {"zip": "^[0-9]{5}(-?[0-9]{4})?$", "postal_zip": "^[0-9]{5}(-?[0-9]{4})?$"}
FORMATS = {"email": "email"}
DESCRIPTIONS = {  # fields whose page wording is a checkbox text or none
    "consent_calls": "Must be true: the person ticked an unticked box agreeing to our "
    "advocates' calls (the words shown go in consent.wordings.advocate_calls).",
    "email_fallback": "The person agreed to an email when an advocate cannot reach them by "
    "phone (needs email; the words go in consent.wordings.followup_emails).",
    "followup_emails": "The person agreed to occasional follow-up emails (needs email; the "
    "words go in consent.wordings.followup_emails).",
}
UUID = {"type": "string", "format": "uuid"}
EXAMPLE = {
    "guide": {
        "first_name": "Maria", "last_name": "Example", "email": "maria.example@example.org",
        "relationship": "spouse_partner", "diagnosis_type": "pleural", "stage": "3",
        "cell_type": "epithelioid", "veteran": "yes", "zip": "10001",
        "topics": ["treatment", "va_benefits"], "language": "en", "deliver_email": True,
        "deliver_mail": False, "followup_emails": True,
    },
    "callback": {
        "first_name": "Maria", "last_name": "Example", "phone": "(212) 555-0143",
        "email": "maria.example@example.org", "zip": "10001", "best_time": "morning",
        "language": "en", "relationship": "spouse_partner", "diagnosis_type": "pleural",
        "stage": "3", "diagnosed": "recent", "veteran": "yes", "consent_calls": True,
        "email_fallback": True,
    },
    "consent": {
        "given_at": "2026-11-29T09:30:00Z",
        "ip_address": "203.0.113.7",
        "wordings": {
            "advocate_calls": {"version": consent.CALLBACK_CONSENT.version},
            "guide_email": {"version": consent.GUIDE_EMAIL_CONSENT.version},
            "followup_emails": {"text": "Email me now and then about mesothelioma support, "
                                "and if the advocate cannot reach me by phone."},
        },
    },
}  # fmt: skip


def _closed(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema = {"type": "object", "additionalProperties": False, "properties": properties}
    required = list(properties) if required is None else required
    return {**schema, "required": required} if required else schema  # 3.0: never empty


def _field(name: str, unbound: UnboundField, kind: str, default: Any) -> dict[str, Any]:
    """One form field as a JSON property: choices, maximum length and default included."""
    values = [c.value for c in unbound.kwargs.get("choices") or [] if getattr(c, "value", "")]
    label = unbound.args[0] if unbound.args else unbound.kwargs.get("label")
    schema: dict[str, Any] = {"type": "string"}
    if kind == BOOLEAN:
        schema = {"type": "boolean"}
    elif kind == ARRAY:
        schema = {"type": "array", "items": {"type": "string", "enum": values}}
    elif values:
        schema["enum"] = values
    for validator in unbound.kwargs.get("validators") or []:
        if isinstance(validator, Length) and validator.max > 0 and kind != BOOLEAN:
            schema["maxLength"] = validator.max
    if name in PATTERNS:
        schema["pattern"] = PATTERNS[name]
    if name in FORMATS:
        schema["format"] = FORMATS[name]
    if name == "consent_calls":
        schema["enum"] = [True]
    if default is not None:
        schema["default"] = default
    label = DESCRIPTIONS.get(name) or label or name.replace("_", " ").capitalize()
    return {**schema, "description": str(label)}


def _form_schema(form_class: type[Any], description: str) -> dict[str, Any]:
    properties, required = {}, []
    for name, (kind, default) in field_specs(form_class).items():
        unbound = getattr(form_class, name)
        properties[name] = _field(name, unbound, kind, default)
        kinds = (InputRequired, DataRequired)
        validators = unbound.kwargs.get("validators") or []
        if default is None and any(isinstance(v, kinds) for v in validators):
            required.append(name)
    return {**_closed(properties, required), "description": description}


def _wording() -> dict[str, Any]:
    by_version = _closed({"version": {"type": "string", "enum": sorted(consent.TEXTS)}})
    own = _closed({"text": {"type": "string", "minLength": 1, "maxLength": CONSENT_TEXT_MAX}})
    return {"description": "The words shown: a version we published (for this purpose), or "
            "your own text, exactly as shown; we store its SHA-256 fingerprint in the "
            "consent ledger.", "oneOf": [by_version, own]}  # fmt: skip


def schemas() -> dict[str, Any]:
    """The components this part of the document adds."""
    ref = {"$ref": f"{REF}ConsentWording"}
    return {
        "GuideRequest": _form_schema(FORMS["guide"], "The fields of our free guide form."),
        "CallbackRequest": _form_schema(FORMS["callback"], "The fields of our callback form."),
        "ConsentWording": _wording(),
        "Consent": {**_closed({
            "given_at": {"type": "string", "format": "date-time", "description":
                         "When the person agreed (ISO 8601 with an offset; not in the future)."},
            "ip_address": {"type": "string", "maxLength": 45, "description":
                           "The IPv4 or IPv6 address the person's browser sent it from."},
            "wordings": {**_closed({p: ref for p in PURPOSES}, []), "description":
                         "Required for each purpose the lead relies on: advocate_calls for a "
                         "callback, guide_email for an emailed guide, followup_emails when "
                         "followup_emails or email_fallback is true."},
        }), "description": "The consent the person gave on your form."},
        "LeadRequest": {**_closed({
            "guide": {"$ref": f"{REF}GuideRequest"},
            "callback": {"$ref": f"{REF}CallbackRequest"},
            "consent": {"$ref": f"{REF}Consent"},
        }, ["consent"]), "minProperties": 2, "example": EXAMPLE},
        "LeadAccepted": _closed({
            "id": UUID, "status": {"type": "string", "enum": ["received"]},
            "requests": {"type": "array", "items": {"type": "string", "enum": list(FORMS)}},
            "status_url": {"type": "string"},
        }),
        "LeadStatus": _closed({
            "id": UUID,
            "status": {"type": "string", "enum": list(lead_status.MILESTONES)},
            "received_at": {"type": "string", "format": "date-time"},
            "requests": _closed({
                "guide": {"type": "string", "enum": list(lead_status.GUIDE_STATES)},
                "callback": {"type": "string", "enum": list(lead_status.CALLBACK_STATES)},
            }, []),
            "events": {"type": "array", "minItems": 1, "items": _closed({
                "event": {"type": "string", "enum": list(lead_status.MILESTONES)},
                "at": {"type": "string", "format": "date-time"}})},
        }),
        "Problem": _closed({
            "type": {"type": "string"}, "title": {"type": "string"},
            "status": {"type": "integer"}, "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {"type": "array", "items": _closed({
                "field": {"type": "string", "description": "e.g. callback.phone; empty for "
                          "the body as a whole"},
                "message": {"type": "string"}})},
        }),
    }  # fmt: skip


def _header(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "schema": schema or {"type": "string"}}


LIMIT_HEADERS = {
    "RateLimit-Limit": _header("Requests allowed per window for this key.", {"type": "integer"}),
    "RateLimit-Remaining": _header("Requests left in this window.", {"type": "integer"}),
    "RateLimit-Reset": _header("Seconds until the window resets.", {"type": "integer"}),
}
PROBLEMS = {
    "400": "The body is not JSON (or not UTF-8), or the Idempotency-Key header is malformed.",
    "401": "No API key, a malformed or unknown one, or a revoked one.",
    "404": "No lead with this id was sent with your key (other partners' leads included).",
    "413": "The body is larger than 64 KiB.",
    "415": "The body is not sent as application/json.",
    "422": "Fields need fixing (each one named in errors), or the Idempotency-Key was used "
    "in the last 24 hours with a different body.",
    "429": "Too many requests for this key: wait Retry-After seconds.",
    "503": "The lead was not saved: retry with the same Idempotency-Key.",
}


def _problem(status: str) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if status == "401":
        headers["WWW-Authenticate"] = _header("Bearer, with the error when a key was sent.")
    if status in ("429", "503"):
        headers["Retry-After"] = _header("Seconds to wait.", {"type": "integer"})
    body = {"schema": {"$ref": f"{REF}Problem"}}
    return {"description": PROBLEMS[status], "headers": headers,
            "content": {"application/problem+json": body}}  # fmt: skip


def _accepted(description: str) -> dict[str, Any]:
    headers = {
        "Location": _header("The lead's status URL."),
        "Idempotent-Replayed": _header("true on a retry answered from storage."),
    }
    body = {"schema": {"$ref": f"{REF}LeadAccepted"}}
    return {"description": description, "headers": {**headers, **LIMIT_HEADERS},
            "content": {"application/json": body}}  # fmt: skip


def paths() -> dict[str, Any]:
    """The two partner operations."""
    idempotency = {
        "name": "Idempotency-Key", "in": "header", "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX,
                   "pattern": "^[\\x21-\\x7e]+$"},
        "description": "A unique value per lead (a UUID). A retry with the same key within 24 "
        "hours returns the first answer and creates nothing; the same key with a different "
        "body is a 422. Without it, the same body sent twice is still one lead.",
    }  # fmt: skip
    security: list[dict[str, list[str]]] = [{"partnerKey": []}]
    create = {
        "operationId": "createLead", "summary": "Send a guide and/or callback request",
        "description": "Same fields and checks as our web forms; the lead enters our inbox "
        "and is processed like a form (the guide email, the advocate's call). No 409: two "
        "requests with the same Idempotency-Key at the same moment do not conflict, the "
        "second waits for the first and gets its answer. No 403: a live key may send leads "
        "and read the status of its own; another partner's lead is a 404, so ids do not leak.",
        "security": security, "parameters": [idempotency],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"{REF}LeadRequest"}, "example": EXAMPLE}}},
        "responses": {
            "202": _accepted("Accepted: the lead is in our inbox."),
            "200": _accepted("This lead was sent before: the same lead, nothing new."),
            **{status: _problem(status) for status in PROBLEMS if status != "404"},
        },
    }  # fmt: skip
    status = {
        "operationId": "leadStatus", "summary": "Where a lead you sent has got to",
        "description": "Milestones with times (received, guide_sent, advocate_reached, "
        "closed); nothing about the person.",
        "security": security,
        "parameters": [{"name": "lead_id", "in": "path", "required": True, "schema": UUID,
                        "description": "The id the POST answered."}],
        "responses": {
            "200": {"description": "The lead's status.", "headers": LIMIT_HEADERS,
                    "content": {"application/json": {"schema": {"$ref": f"{REF}LeadStatus"}}}},
            **{s: _problem(s) for s in ("401", "404", "429")},
        },
    }  # fmt: skip
    return {"/api/v1/leads": {"post": create}, "/api/v1/leads/{lead_id}/status": {"get": status}}


SECURITY_SCHEMES = {
    "partnerKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A partner API key (mik_...), issued by our admins and shown once.",
    }
}
