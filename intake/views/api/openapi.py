"""The OpenAPI 3.0.3 document of the JSON API, written by hand from the same vocabularies.

Enumerations come from ``intake.matching.types`` and patterns from the parameter
parser in ``intake.forms.match``, so the document cannot drift from what the API
accepts; schemathesis (tests/views/test_api_schemathesis.py) checks responses against it.
"""

from __future__ import annotations

from typing import Any

from intake.forms.match import (
    BOOLEAN_WORDS,
    DEFAULT_LIMIT,
    LANGUAGE_PATTERN,
    ZIP_PATTERN,
)
from intake.matching.rules import MAX_LIMIT
from intake.matching.tiers import TIERS
from intake.matching.types import (
    CANCER_TYPE_CHOICES,
    CELL_TYPE_CHOICES,
    DEFAULT_NEED,
    NEEDS,
    SECTIONS,
    SPECIALTIES,
    STAGE_CHOICES,
    TREATMENTS,
)
from intake.views.api import openapi_leads

LIFTS = ("cell_type", "telehealth", "va", "language")
REASON_CODES = (
    "fits_stage", "surgery", "treats", "treats_with_palliative", "clinical_trials", "team",
    "palliative_specialist", "lung_specialist", "lung_symptoms", "cell_type", "va", "language",
    "telehealth", "distance",
)  # fmt: skip
PARAMETERS = (
    "zip", "cancer_type", "stage", "cell_type", "veteran", "language", "telehealth",
    "max_miles", "limit", "need",
)  # fmt: skip
_BOOLEAN = {"type": "string", "enum": list(BOOLEAN_WORDS), "default": "false"}


def _param(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    """A query parameter; optional ones may be sent empty, which means 'not given'."""
    required = name in ("zip", "cancer_type")
    param = {"name": name, "in": "query", "required": required, "schema": schema}
    if not required:
        param["allowEmptyValue"] = True
    return {**param, "description": description, **extra}


def _parameters() -> list[dict[str, Any]]:
    return [
        _param("zip", {"type": "string", "pattern": ZIP_PATTERN},
               "The patient's US ZIP code (ZIP+4 accepted); it must exist.", example="10001"),
        _param("cancer_type", {"type": "string", "enum": list(CANCER_TYPE_CHOICES)},
               "Diagnosis type; not_sure matches every type.", example="peritoneal"),
        _param("stage", {"type": "string", "enum": list(STAGE_CHOICES), "default": "not_sure"},
               "Stage 1 to 4, or not_sure."),
        _param("cell_type",
               {"type": "string", "enum": list(CELL_TYPE_CHOICES), "default": "not_sure"},
               "Cell type, or not_sure."),
        _param("veteran", _BOOLEAN, "Whether the patient served in the US military."),
        _param("language", {"type": "string", "pattern": LANGUAGE_PATTERN, "default": "en"},
               "Preferred language, a two-letter ISO 639-1 code. Listings that speak it are "
               "lifted, and the reasons are written in it when we write it (en, es); "
               "in English otherwise."),
        _param("telehealth", _BOOLEAN, "Whether video visits are acceptable."),
        _param("max_miles", {"type": "number", "minimum": 0, "exclusiveMinimum": True},
               "How far the patient can travel; farther listings qualify only by telehealth."),
        _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                         "default": DEFAULT_LIMIT}, "How many results at most."),
        _param("need", {"type": "string", "enum": list(NEEDS), "default": DEFAULT_NEED},
               "What the patient is looking for: treatment (the default) and second_opinion "
               "put first the specialists who offer the care at the heart of the stage; "
               "clinical_trial puts trial sites first; palliative puts supportive care "
               "(palliative care, pulmonology) first."),
    ]  # fmt: skip


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A closed object: every property listed, all of them required unless said otherwise."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties) if required is None else required,
        "properties": properties,
    }


def _strings(**schema: Any) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", **schema}}


def _schemas() -> dict[str, Any]:
    result = _object({
        "listing_id": {"type": "string", "minLength": 1},
        "name": {"type": "string"},
        "institution": {"type": "string"},
        "city": {"type": "string"},
        "state": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
        "distance_miles": {"type": "number", "minimum": 0},
        "score": {"type": "number"},
        "tier": {"type": "integer", "enum": list(TIERS), "description": (
            "1 is what the need asks for first. treatment: 1 fits this stage, 2 treats this "
            "type, 3 supportive care; clinical_trial: 1 trial sites, then as for treatment "
            "(2-4); second_opinion: 1 fits this stage at an institution with a team of "
            "surgeons and oncologists for the type, then as for treatment (2-4); palliative: "
            "1 supportive care, 2 treats and offers palliative care, 3 other treating "
            "specialists.")},
        "section": {"type": "string", "enum": list(SECTIONS), "description": (
            "best: within the patient's distance (500 miles when none is set); support: "
            "supportive care within it, unless the need is palliative; video: farther, "
            "reachable by video visit; farther: beyond reach.")},
        "reasons": {**_strings(minLength=1), "minItems": 1},
        "specialty": {"type": "string", "enum": list(SPECIALTIES)},
        "treatments": _strings(enum=list(TREATMENTS)),
        "telehealth": {"type": "boolean"},
        "accepts_va": {"type": "boolean"},
        "phone": {"type": "string", "nullable": True},
        "website": {"type": "string", "nullable": True},
        "languages": _strings(pattern=LANGUAGE_PATTERN),
        "lifts": _strings(enum=list(LIFTS)),
        "reason_codes": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["code"],
            "properties": {"code": {"type": "string", "enum": list(REASON_CODES)}},
            "description": (
                "The reasons as codes and the facts they name (treatments, cancer_types, "
                "stage, cell_type, language, institution, miles and zip), in the same order "
                "as reasons.")}},
    })  # fmt: skip
    query = _object({
        "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
        "cancer_type": {"type": "string", "enum": list(CANCER_TYPE_CHOICES)},
        "stage": {"type": "string", "enum": list(STAGE_CHOICES)},
        "cell_type": {"type": "string", "enum": list(CELL_TYPE_CHOICES)},
        "veteran": {"type": "boolean"},
        "language": {"type": "string", "pattern": LANGUAGE_PATTERN},
        "telehealth": {"type": "boolean"},
        "max_miles": {"type": "number", "nullable": True},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        "need": {"type": "string", "enum": list(NEEDS)},
    })  # fmt: skip
    return {
        "MatchResult": result,
        "MatchResponse": _object({
            "query": query,
            "count": {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT},
            "results": {"type": "array", "maxItems": MAX_LIMIT,
                        "items": {"$ref": "#/components/schemas/MatchResult"}},
        }),
        "InvalidParameter": _object({
            "error": {"type": "string", "enum": ["invalid_parameter"]},
            "field": {"type": "string", "enum": list(PARAMETERS)},
            "message": {"type": "string", "minLength": 1},
        }),
        "Error": _object({"error": {"type": "string"}, "message": {"type": "string"}}),
    }  # fmt: skip


def _json_response(description: str, schema: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _match_operation() -> dict[str, Any]:
    return {
        "operationId": "matchSpecialists",
        "summary": "Rank specialists for a patient",
        "description": (
            "Hard filters, distance and the lifts that applied follow the product's matching "
            "rules; the same input and data always give the same answer. Listings are a "
            "directory, not a medical recommendation."
        ),
        "parameters": _parameters(),
        "responses": {
            "200": _json_response("Ranked matches, best first.", "MatchResponse"),
            "400": _json_response("A parameter is missing or invalid.", "InvalidParameter"),
            "429": _json_response("Too many requests from this address.", "Error"),
        },
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI document, built fresh so callers may change their copy."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Mesothelioma intake API",
            "version": "1.0.0",
            "description": "Specialist match and lead intake for partner sites. Information "
            "only, not medical advice; demo listings are fictional. A readable reference is at "
            "/api/docs.",
        },
        "paths": {
            "/api/v1/match": {"get": _match_operation()},
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapiDocument",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            **openapi_leads.paths(),
        },
        "components": {
            "schemas": {**_schemas(), **openapi_leads.schemas()},
            "securitySchemes": openapi_leads.SECURITY_SCHEMES,
        },
    }
