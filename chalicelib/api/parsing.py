"""Reading a request: the body (size, depth, JSON, the route's model), the query and the path
parameters. Every refusal is a ``BadRequest`` (400) naming the field; nothing here knows a route."""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32
MAX_PATH_PARAM = 254  # the longest email address; every id is far shorter
PATH_PARAM_CHARS = re.compile(r"^[^\x00-\x1f\x7f/]+$")


class BadRequest(Exception):
    """The request itself is malformed (400): not JSON, too large, too deep, a field of the wrong shape."""

    def __init__(self, code: str, message: str, fields: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields


def validation_errors(exc: ValidationError, where: str) -> list[dict[str, str]]:
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or where
        out.append({"field": loc, "message": err["msg"], "type": err["type"]})
    return out


def _depth(value: Any) -> int:
    """Nesting depth without recursion (a hostile body must not exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_JSON_DEPTH:
            return level
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def parse_body(raw: bytes | None, model: type[BaseModel]) -> BaseModel:
    from pydantic import ValidationError

    if raw is None or raw == b"":
        raw = b"{}"
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest("body_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest("invalid_json", f"The body is not valid JSON: {exc}.")
    except RecursionError:
        raise BadRequest("too_deep", f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
    if not isinstance(data, dict):
        raise BadRequest("invalid_json", "The body must be a JSON object.")
    if _depth(data) > MAX_JSON_DEPTH:
        raise BadRequest("too_deep", f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest("invalid_input", "The body has invalid fields.", fields=validation_errors(exc, "body"))


def parse_query(params: dict[str, str] | None, model: type[BaseModel]) -> BaseModel:
    from pydantic import ValidationError

    try:
        return model.model_validate(dict(params or {}))
    except ValidationError as exc:
        raise BadRequest("invalid_input", "The query has invalid parameters.", fields=validation_errors(exc, "query"))


def check_path(params: dict[str, str]) -> None:
    for name, value in params.items():
        if not value or len(value) > MAX_PATH_PARAM or not PATH_PARAM_CHARS.match(value):
            raise BadRequest("invalid_input", f"The path parameter '{name}' is empty, too long or has control characters.",
                             fields=[{"field": name, "message": f"1 to {MAX_PATH_PARAM} printable characters",
                                      "type": "path_parameter"}])
