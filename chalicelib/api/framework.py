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
from .parsing import BadRequest, check_path, parse_body, parse_query

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..bootstrap import Container
    from ..domain.paging import PageRequest

PUBLIC, STAFF, BOOKER = "public", "staff", "booker"
PERSON, OPERATOR = "person", "operator"  # any signed-in person (sign-up, invitations); platform operators
BUSINESS_PARAM = "business_id"
RETRY_AFTER_SECONDS = 1
# Error codes and exception names of AWS calls that stayed throttled or timed out through the
# clients' bounded retries (adapters/aws_config.py): the caller may try again, so 503, not 500.
UNAVAILABLE_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException", "Throttling",
                     "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled", "SlowDown",
                     "InternalServerError", "ServiceUnavailable", "RequestTimeout"}
UNAVAILABLE_EXCEPTIONS = {"ReadTimeoutError", "ConnectTimeoutError", "EndpointConnectionError", "ConnectionClosedError",
                          # stripe-python, after its own bounded retries: Stripe unreachable or rate limiting us
                          "APIConnectionError", "RateLimitError"}


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
    # Other successes a handler may choose by returning a Response: (status, content type, what it is).
    alternatives: tuple[tuple[int, str, str], ...] = ()

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


def dependency_unavailable(exc: BaseException) -> bool:
    """True if ``exc`` (or what caused it) is an AWS or Stripe throttle, timeout or outage, read by shape: the api layer
    imports no botocore or PynamoDB."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        response = getattr(seen, "response", None)
        code = getattr(seen, "cause_response_code", None) or (
            response.get("Error", {}).get("Code") if isinstance(response, dict) else None)
        if code in UNAVAILABLE_CODES or type(seen).__name__ in UNAVAILABLE_EXCEPTIONS:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


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


@dataclass(frozen=True)
class Redirect:
    """A handler's answer that sends the client elsewhere (302), e.g. to a fresh Stripe portal session."""

    location: str


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
        content_types: tuple[str, ...] = ("application/json",),
        alternatives: tuple[tuple[int, str, str], ...] = (),
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        op = Operation(method, path, summary, self.tag, role, feature, self.schemas, body, query, response, paginated,
                       status, many, alternatives)
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
                    if isinstance(answer, Redirect):
                        return Response(body="", status_code=302, headers={"Location": answer.location,
                                                                           "X-Correlation-Id": correlation})
                    if isinstance(answer, Response):  # the handler chose the response (a CSV file, a 202)
                        answer.headers["X-Correlation-Id"] = correlation
                        return answer
                    result = page_body(answer, op, scope) if paginated else serialise(answer, op)
                except BadRequest as exc:
                    return error_body(400, exc.code, exc.message, correlation, fields=exc.fields)
                except DomainError as exc:
                    if exc.status >= 500:
                        logger.exception("domain error")
                    else:
                        logger.info("refused", extra={"code": exc.code, "status": exc.status})
                    return error_body(exc.status, exc.code, exc.message, correlation, **exc.details)
                except Exception as exc:
                    if dependency_unavailable(exc):
                        logger.warning("dependency unavailable", extra={"error": type(exc).__name__})
                        unavailable = error_body(503, "temporarily_unavailable",
                                                 "A service we depend on is busy; try again shortly.", correlation)
                        unavailable.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
                        return unavailable
                    # anything unforeseen: logged once with its stack, no internals returned
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
                content_types=list(content_types),
                cors=False,
            )(view)
            return handler

        return register
