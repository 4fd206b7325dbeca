"""``GET /openapi.json`` generated from the registered operations, and a plain HTML docs page."""
from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from chalice.app import Blueprint, Response

from .framework import OPERATIONS, PUBLIC, Operation
from .parsing import MAX_PATH_PARAM

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
    # pydantic renames models whose names clash (two ``CheckoutOut``s): refs come from its own map.
    keyed, defs = models_json_schema(list(dict.fromkeys(models)), ref_template=REF)
    refs: dict[Any, dict[str, Any]] = {model: schema for (model, _), schema in keyed.items()}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs)
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


PATH_PARAM_SCHEMA = {"type": "string", "minLength": 1, "maxLength": MAX_PATH_PARAM, "pattern": "^[^\\x00-\\x1f\\x7f/]+$"}
# API Gateway answers a request without an Authorization header itself, with its own body.
GATEWAY_ERROR = {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def statuses(op: Operation) -> dict[str, str]:
    """Every status the framework can answer for ``op``, with why (the document and its test read this)."""
    out = {str(op.status): "OK", "404": "Unknown id, or another business's",
           "500": "Unexpected: quote the correlation id"}
    if op.body_ref is not None or op.query_ref is not None or op.paginated or "{" in op.path or op.method != "GET":
        out["400"] = "Invalid input: the fields and reasons (a write may refuse its body, e.g. a bad signature)"
    if op.body_ref is not None:
        out["415"] = "The body is not application/json"
    if op.role != PUBLIC:
        out["401"] = "Missing or invalid token"
        out["403"] = "Wrong role, another business, or a disabled customer"
    if op.feature is not None:
        out["402"] = f"The business's plan does not include {op.feature.value}"
    out.update({str(code): why for code, _, why in op.alternatives})
    out["503"] = "A dependency (database, queue, payment provider) is busy: try again (Retry-After)"
    if op.method != "GET":
        out["409"] = "The current state refuses it (a named rule), or a concurrent change: try again"
    return out


def _operation(op: Operation, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "operationId": _op_id(op)}
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": PATH_PARAM_SCHEMA}
        for name in re.findall(r"{(\w+)}", op.path)
    ]
    if op.query:
        props = op.query.model_json_schema(ref_template=REF).get("properties", {})
        for name, field in op.query.model_fields.items():
            params.append({"name": name, "in": "query", "required": field.is_required(),
                           "description": field.description or "", "schema": props.get(name, {"type": "string"})})
    if op.paginated:
        params.append({"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1,
                       "maximum": 100, "default": 50}, "description": "Items per page (a page may hold fewer)."})
        params.append({"name": "cursor", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 2000},
                       "description": "The 'next' of the previous page of this same list; opaque."})
    if params:
        out["parameters"] = params
    if op.role != PUBLIC:
        out["security"] = [{"bearer": []}]
        out["description"] = f"Role: {op.role}."
    if op.body:
        out["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": refs[op.body]}}}
    resp, many = op.response, op.many
    responses: dict[str, Any] = {}
    for code, why in statuses(op).items():
        if code == str(op.status):
            ok: dict[str, Any] = {"description": why}
            if resp and op.status != 204:
                ref = refs[resp]
                body: dict[str, Any] = {"type": "array", "items": ref} if many else ref
                if op.paginated:
                    body = {"type": "object", "required": ["items", "next"], "properties": {
                        "items": {"type": "array", "items": ref},
                        "next": {"type": ["string", "null"], "description": "Cursor of the next page; null when complete."}}}
                ok["content"] = {"application/json": {"schema": body}}
            responses[code] = ok
        elif code in {str(c) for c, _, _ in op.alternatives}:
            ctype = next(t for c, t, _ in op.alternatives if str(c) == code)
            alt_schema: dict[str, Any] = refs[resp] if resp and ctype == "application/json" else {"type": "string"}
            responses[code] = {"description": why, "content": {ctype: {"schema": alt_schema}}}
        else:
            schema = {"anyOf": [ERROR_REF, GATEWAY_ERROR]} if code in ("401", "415") else ERROR_REF
            responses[code] = {"description": why, "content": {"application/json": {"schema": schema}}}
    if op.status == 200 and resp is None or op.status == 204:
        responses.setdefault("204", {"description": "Done, nothing to return"})
    out["responses"] = responses
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
