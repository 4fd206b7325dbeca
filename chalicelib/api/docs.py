"""``GET /openapi.json`` generated from the registered operations, and a plain HTML docs page."""
from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from chalice.app import Blueprint, Response

from .framework import OPERATIONS, PUBLIC, Operation

if TYPE_CHECKING:
    from pydantic import BaseModel

docs_blueprint = Blueprint(__name__)
REF = "#/components/schemas/{model}"
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "reason": {"type": "string", "description": "The rule that refused (bookings)."},
                "fields": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["code", "message"],
        }
    },
}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema  # on the first docs request, not at app import

    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = []
    for op in OPERATIONS:
        if op.body:
            models.append((op.body, "validation"))
        resp = op.response
        if resp:
            models.append((resp, "serialization"))
    _, defs = models_json_schema(list(dict.fromkeys(models)), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Memberships API", "version": "1.0.0",
                 "description": "Customer groups, exclusive-ticket offers, memberships, passes and bookings."},
        "paths": paths,
        "components": {
            "schemas": {**defs.get("$defs", {}), "Error": ERROR_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "operationId": _op_id(op)}
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", op.path)
    ]
    if op.query:
        for name, field in op.query.model_fields.items():
            params.append({"name": name, "in": "query", "required": field.is_required(),
                           "description": field.description or "", "schema": {"type": "string"}})
    if op.paginated:
        params.append({"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1,
                       "maximum": 100, "default": 50}, "description": "Items per page (a page may hold fewer)."})
        params.append({"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
                       "description": "The 'next' of the previous page of this same list; opaque."})
    if params:
        out["parameters"] = params
    if op.role != PUBLIC:
        out["security"] = [{"bearer": []}]
        out["description"] = f"Role: {op.role}."
    if op.body:
        out["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": REF.format(model=op.body.__name__)}}}}
    resp = op.response
    ok: dict[str, Any] = {"description": "OK"}
    if resp:
        ref: dict[str, Any] = {"$ref": REF.format(model=resp.__name__)}
        if op.paginated:
            ref = {"type": "object", "required": ["items", "next"], "properties": {
                "items": {"type": "array", "items": ref},
                "next": {"type": ["string", "null"], "description": "Cursor of the next page; null when complete."}}}
        elif op.many:
            ref = {"type": "array", "items": ref}
        ok["content"] = {"application/json": {"schema": ref}}
    err = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    out["responses"] = {
        str(op.status): ok,
        "400": {"description": "Invalid input: the fields and reasons", **err},
        "404": {"description": "Unknown id, or another business's", **err},
    }
    if op.role != PUBLIC:
        out["responses"]["401"] = {"description": "Missing or invalid token", **err}
        out["responses"]["403"] = {"description": "Wrong role, another business, or a disabled customer", **err}
    if op.feature is not None:
        out["responses"]["402"] = {"description": f"The business's plan does not include {op.feature.value}", **err}
    if op.method != "GET":
        out["responses"]["409"] = {"description": "The current state refuses it (a named rule)", **err}
    return out


def _op_id(op: Operation) -> str:
    words = re.sub(r"[{}]", "", op.path).strip("/").replace("/", "_").replace("-", "_")
    return f"{op.method.lower()}_{words}"


@docs_blueprint.route("/openapi.json", methods=["GET"])
def openapi_json() -> Response:
    return Response(body=json.dumps(openapi_document()), status_code=200, headers={"Content-Type": "application/json"})


@docs_blueprint.route("/docs", methods=["GET"])
def docs_page() -> Response:
    doc = openapi_document()
    rows = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(op['summary'])}</td><td>{html.escape(op.get('description', 'public'))}</td>"
                f"<td>{html.escape(body.get('$ref', '').rsplit('/', 1)[-1])}</td></tr>"
            )
    page = (
        "<!doctype html><meta charset=utf-8><title>Memberships API</title>"
        "<style>body{font:14px system-ui;margin:2em}td{padding:2px 8px;border-bottom:1px solid #ddd}</style>"
        "<h1>Memberships API</h1><p>Machine-readable: <a href='openapi.json'>openapi.json</a>. "
        "Errors are <code>{\"error\": {\"code\", \"message\", ...}}</code>.</p>"
        "<table><tr><th>Method</th><th>Path</th><th>What</th><th>Who</th><th>Body</th></tr>"
        + "".join(rows) + "</table>"
    )
    return Response(body=page, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})
