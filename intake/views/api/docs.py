"""``/api/docs``: the OpenAPI document rendered on the server as a readable page for partners.

No script and nothing from a CDN: the same document ``/api/v1/openapi.json``
serves, laid out by a Jinja template.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from intake.views.api import openapi
from intake.views.api.problems import TITLES

bp = Blueprint("api_docs", __name__)


def _type(schema: dict[str, Any]) -> str:
    """A short type label: string, boolean, array of string, an object's name, one of."""
    if "$ref" in schema:
        return str(schema["$ref"].rsplit("/", 1)[1])
    if "oneOf" in schema:
        return " or ".join(_type(option) for option in schema["oneOf"])
    if schema.get("type") == "array":
        return f"array of {_type(schema.get('items', {}))}"
    kind = str(schema.get("type", "object"))
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _rows(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per property: name, type, required, description and what values it takes."""
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        values = prop.get("enum") or prop.get("items", {}).get("enum")
        limits = {k: prop[k] for k in ("maxLength", "pattern", "default") if k in prop}
        rows.append({"name": name, "type": _type(prop), "required": name in required,
                     "description": prop.get("description", ""), "values": values,
                     "limits": limits})  # fmt: skip
    return rows


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            example = json.dumps(body["example"], indent=2) if body and "example" in body else None
            operations.append({"method": method.upper(), "path": path, "op": operation,
                               "example": example})  # fmt: skip
    return operations


@bp.get("/api/docs")
def reference() -> ResponseReturnValue:
    """The API reference for partners' developers."""
    document = openapi.document()
    schemas = document["components"]["schemas"]
    return render_template(
        "api/docs.html",
        info=document["info"],
        operations=_operations(document),
        schemas={name: _rows(schema) for name, schema in schemas.items()},
        descriptions={name: schema.get("description", "") for name, schema in schemas.items()},
        wording=schemas["ConsentWording"],
        problems=TITLES,
        type_label=_type,
    )
