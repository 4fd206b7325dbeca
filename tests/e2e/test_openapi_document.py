"""The OpenAPI document is valid, every ``$ref`` resolves, every route declares each status the
framework can answer for it, and every request field is bounded (issue 14)."""
from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

import app  # noqa: F401  (registers every route)
from chalicelib.api.docs import openapi_document
from chalicelib.api.framework import OPERATIONS, PUBLIC


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_the_document_is_valid_openapi_and_every_ref_resolves(document):
    validate(document)
    schemas = document["components"]["schemas"]
    refs = set(_refs(document))
    assert refs and all(r.startswith("#/components/schemas/") for r in refs)
    assert {r.rsplit("/", 1)[-1] for r in refs} <= set(schemas)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_every_route_declares_what_the_framework_can_answer(document, op):
    declared = document["paths"][op.path][op.method.lower()]["responses"]
    expected = {str(op.status), "404"}
    if op.role != PUBLIC:
        expected |= {"401", "403"}  # no or a bad token; the wrong role, business or a disabled booker
    if op.feature is not None:
        expected.add("402")
    if op.body_ref or op.query_ref or re.search(r"{\w+}", op.path):
        expected.add("400")
    if op.method != "GET":
        expected.add("409")
    assert expected <= set(declared), sorted(expected - set(declared))
    for code, response in declared.items():
        if code.startswith(("4", "5")):
            assert "Error" in str(response["content"]["application/json"]["schema"]), code


def _unbounded(schema: Any, defs: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Strings without maxLength (or enum/format), arrays without maxItems, in a request schema."""
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [] if name in seen else _unbounded(defs[name], defs, where, seen | {name})
    found = []
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _unbounded(sub, defs, where, seen)
    kind = schema.get("type")
    if kind == "string" and not ({"maxLength", "enum", "const"} & set(schema) or schema.get("format") in ("date", "date-time")):
        found.append(where)
    if kind == "array":
        if "maxItems" not in schema:
            found.append(where)
        found += _unbounded(schema.get("items", {}), defs, f"{where}[]", seen)
    for name, prop in schema.get("properties", {}).items():
        found += _unbounded(prop, defs, f"{where}.{name}", seen)
    return found


def test_every_request_field_is_bounded(document):
    defs = document["components"]["schemas"]
    unbounded = []
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                unbounded += _unbounded(body, defs, f"{method.upper()} {path} body", set())
            for param in op.get("parameters", []):
                unbounded += _unbounded(param["schema"], defs, f"{method.upper()} {path} {param['name']}", set())
    assert unbounded == []
