"""The one way a route is declared: who may call it, for which feature, pydantic in and out.

``ApiBlueprint.op`` registers a Chalice route and remembers its declaration (``OPERATIONS``), so
``/openapi.json``, the isolation, disabled-customer and plan-gate tests all read the same registry.
Before the handler runs, the framework resolves the request context once (``services/access.py``):

- ``STAFF``: a ``StaffContext`` (the business the staff member acts for, from the staff records and
  the ``X-Business-Id`` header, its plan gate passed);
- ``BOOKER``: a ``BookerContext`` (the business of the path, the booker's linked customer record;
  403 if staff disabled it, 402 if the feature is not in the business's plan);
- ``PERSON``: a ``PersonContext`` (any verified token: sign-up, accepting an invitation);
- ``OPERATOR``: an ``OperatorContext`` (a subject in ``OPERATOR_SUBJECTS``, 403 otherwise);
- ``PUBLIC``: a ``PublicContext`` when the path names a business (404 if unknown), else ``None``.

The handler receives that context, the other path parameters and the parsed ``body``/``query``; it
returns a response model, a domain object the response model reads by attribute, or None (204).
A list route is declared ``paginated=True`` (L1): the framework reads ``limit`` (1..100) and ``cursor``
from the query, hands the handler a ``page`` (``PageRequest``), and answers the ``Page`` it returns as
``{"items": [...], "next": <cursor> | null}`` (see ``api/cursors.py``). No route returns a bare list. Schemas are named by string and imported on the route's first call, so importing the
app (every Lambda does) costs no pydantic model building.
"""
from __future__ import annotations

import importlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from chalice.app import Blueprint, Response

from ..domain.errors import DomainError
from ..domain.staff import BUSINESS_HEADER
from ..domain.tenancy import Caller, Feature
from ..logs import logger
from .auth import jwt_auth

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    from ..bootstrap import Container
    from ..domain.paging import PageRequest

PUBLIC, STAFF, BOOKER = "public", "staff", "booker"
PERSON, OPERATOR = "person", "operator"  # any signed-in person (sign-up, invitations); platform operators
MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32
MAX_PATH_PARAM = 254  # the longest email address; every id is far shorter
BUSINESS_PARAM = "business_id"
PATH_PARAM_CHARS = re.compile(r"^[^\x00-\x1f\x7f/]+$")


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    role: str
    feature: Feature | None
    schemas: str  # the module string model names are looked up in
    body_ref: type[BaseModel] | str | None
    query_ref: type[BaseModel] | str | None
    response_ref: type[BaseModel] | str | None
    paginated: bool  # the response is a ``Page`` of ``response``: {"items": [...], "next": cursor | null}
    status: int
    many: bool = False  # a bare list: refused by tests/e2e/test_pagination.py (every list is a page)

    def _model(self, ref: type[BaseModel] | str | None) -> type[BaseModel] | None:
        if ref is None or not isinstance(ref, str):
            return ref
        module, _, name = ref.rpartition(":")  # "Name" in the blueprint's schemas, or "module:Name"
        model: type[BaseModel] = getattr(importlib.import_module(module or self.schemas), name)
        return model

    @property
    def body(self) -> type[BaseModel] | None:
        return self._model(self.body_ref)

    @property
    def query(self) -> type[BaseModel] | None:
        return self._model(self.query_ref)

    @property
    def response(self) -> type[BaseModel] | None:
        return self._model(self.response_ref)


OPERATIONS: list[Operation] = []
C = TypeVar("C")


def command(cls: type[C], body: BaseModel) -> C:
    """The service's command dataclass from a validated request body (same field names, nested too)."""
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        from pydantic import TypeAdapter

        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    result: C = adapter.validate_python(body.model_dump())
    return result


_ADAPTERS: dict[type[Any], Any] = {}


def container() -> Container:
    """The composition root, built lazily: each piece is made on first use (``bootstrap.py``)."""
    from ..bootstrap import container as current

    return current()


def error_body(status: int, code: str, message: str, correlation: str | None = None, **details: Any) -> Response:
    payload: dict[str, Any] = {"code": code, "message": message}
    payload.update({k: v for k, v in details.items() if v is not None})
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if correlation:
        headers["X-Correlation-Id"] = correlation
    return Response(body=json.dumps({"error": payload}), status_code=status, headers=headers)


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


def cursor_scope(op: Operation, ctx: Any, caller: Caller | None, path_params: dict[str, str],
                 query_params: dict[str, str]) -> bytes:
    from .cursors import scope_of

    filters = {k: v for k, v in query_params.items() if k not in ("limit", "cursor")}
    booker = caller.email if caller is not None and op.role == BOOKER else None
    if caller is not None and op.role == PERSON:  # a person's own lists: bound to who they are
        booker = caller.subject
    return scope_of(op.method, op.path, getattr(ctx, "business_id", None), booker, path_params, filters)


def page_request(params: dict[str, str], scope: bytes) -> PageRequest:
    """``limit`` and ``cursor`` taken out of the query (the route's own query model never sees them)."""
    from ..config import settings
    from ..domain.paging import DEFAULT_LIMIT, MAX_LIMIT, PageRequest
    from .cursors import CursorError, open_cursor

    raw_limit, cursor = params.pop("limit", None), params.pop("cursor", None)
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise BadRequest("invalid_input", f"limit must be a whole number from 1 to {MAX_LIMIT}.",
                             fields=[{"field": "limit", "message": f"1 to {MAX_LIMIT}", "type": "limit"}])
        limit = int(raw_limit)
    if cursor is None:
        return PageRequest(limit)
    try:
        return PageRequest(limit, open_cursor(cursor, scope, _cursor_secret(settings().cursor_secret)))
    except CursorError:
        raise BadRequest("invalid_cursor", "The cursor is not one this list handed out (edited, or from another list).",
                         fields=[{"field": "cursor", "message": "use the 'next' value of this list", "type": "cursor"}])


def _cursor_secret(secret: str) -> str:
    if not secret:
        raise RuntimeError("CURSOR_SECRET is not set")  # never seal cursors with a guessable key
    return secret


def page_body(page: Any, op: Operation, scope: bytes) -> dict[str, Any]:
    from ..config import settings
    from .cursors import seal

    next_cursor = seal(page.next_key, scope, _cursor_secret(settings().cursor_secret)) if page.next_key else None
    return {"items": [serialise(item, op) for item in page.items], "next": next_cursor}


def caller_from(context: dict[str, Any] | None) -> Caller | None:
    claims = (context or {}).get("authorizer") or {}
    subject = claims.get("sub")
    if not subject or claims.get("auth_error"):
        return None
    return Caller(subject=subject, email=claims.get("email") or None)


def resolve_context(op: Operation, caller: Caller | None, path_params: dict[str, str],
                    headers: Any = None) -> Any:
    """The request context for ``op`` (see the module docstring); ``business_id`` is consumed here."""
    access = container().access
    if op.role == STAFF:
        assert caller is not None
        return access.staff(caller, op.feature, (headers or {}).get(BUSINESS_HEADER.lower()) or None)
    if op.role == PERSON:
        assert caller is not None
        return access.person(caller)
    if op.role == OPERATOR:
        assert caller is not None
        return access.operator(caller)
    business_id = path_params.pop(BUSINESS_PARAM, None)
    if op.role == BOOKER:
        assert caller is not None and business_id is not None, f"booker route {op.path} needs {{business_id}}"
        return access.booker(caller, business_id, op.feature)
    return access.public(business_id, op.feature) if business_id is not None else None


def serialise(result: Any, op: Operation) -> Any:
    from pydantic import BaseModel

    model = op.response
    if result is None or isinstance(result, BaseModel):
        return result.model_dump(mode="json") if result is not None else None
    if isinstance(result, list | tuple):
        return [serialise(item, op) for item in result]
    if model is not None:
        return model.model_validate(result, from_attributes=True).model_dump(mode="json")
    return result


class ApiBlueprint:
    def __init__(self, import_name: str, tag: str, schemas: str = "") -> None:
        self.blueprint = Blueprint(import_name)
        self.tag = tag
        self.schemas = schemas

    def op(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        role: str,
        feature: Feature | None = None,
        body: type[BaseModel] | str | None = None,
        query: type[BaseModel] | str | None = None,
        response: type[BaseModel] | str | None = None,
        paginated: bool = False,
        status: int = 200,
        many: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        op = Operation(method, path, summary, self.tag, role, feature, self.schemas, body, query, response, paginated,
                       status, many)
        if role == BOOKER and f"{{{BUSINESS_PARAM}}}" not in path:
            raise ValueError(f"booker route {path} must name the business ({{{BUSINESS_PARAM}}})")
        OPERATIONS.append(op)
        bp = self.blueprint

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            def view(**path_params: str) -> Response:
                request = bp.current_request
                context: dict[str, Any] = request.context or {}
                request_headers: Any = request.headers or {}
                correlation = request_headers.get("x-correlation-id") or context.get("requestId") or uuid.uuid4().hex
                logger.append_keys(correlation_id=correlation, route=f"{method} {path}")
                try:
                    caller = caller_from(context)
                    if role != PUBLIC and caller is None:
                        reason = (context.get("authorizer") or {}).get("auth_error")
                        return error_body(401, "unauthenticated", "A valid bearer token is required.", correlation,
                                          reason=reason)
                    params = dict(path_params)
                    check_path(params)
                    ctx = resolve_context(op, caller, params, request_headers)
                    kwargs: dict[str, Any] = params
                    query_params = dict(request.query_params or {})
                    scope = b""
                    if paginated:  # bound to: this route, this business and booker, these path values and filters
                        scope = cursor_scope(op, ctx, caller, path_params, query_params)
                        kwargs["page"] = page_request(query_params, scope)
                    if op.body_ref is not None:
                        kwargs["body"] = parse_body(request.raw_body, op.body)  # type: ignore[arg-type]
                    if op.query_ref is not None:
                        kwargs["query"] = parse_query(query_params, op.query)  # type: ignore[arg-type]
                    answer = handler(ctx, **kwargs)
                    result = page_body(answer, op, scope) if paginated else serialise(answer, op)
                except BadRequest as exc:
                    return error_body(400, exc.code, exc.message, correlation, fields=exc.fields)
                except DomainError as exc:
                    if exc.status >= 500:
                        logger.exception("domain error")
                    else:
                        logger.info("refused", extra={"code": exc.code, "status": exc.status})
                    return error_body(exc.status, exc.code, exc.message, correlation, **exc.details)
                except Exception:  # anything unforeseen: logged once with its stack, no internals returned
                    logger.exception("unexpected error")
                    return error_body(500, "internal_error", "Something went wrong on our side; quote the correlation id.",
                                      correlation, correlation_id=correlation)
                headers: dict[str, str | list[str]] = {"Content-Type": "application/json", "X-Correlation-Id": correlation}
                if result is None:
                    return Response(body="", status_code=204 if status == 200 else status, headers=headers)
                return Response(body=json.dumps(result), status_code=status, headers=headers)

            view.__name__ = handler.__name__
            view.__doc__ = handler.__doc__
            bp.route(
                path,
                methods=[method],
                authorizer=None if role == PUBLIC else jwt_auth,
                content_types=["application/json"],
                cors=False,
            )(view)
            return handler

        return register
