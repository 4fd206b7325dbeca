"""The one way a route is declared: pydantic in, pydantic out, domain errors mapped to statuses.

``ApiBlueprint.op`` registers a Chalice route and remembers its models, so ``/openapi.json`` is
generated from exactly what the handlers parse and return. A handler receives the verified
``Caller``, its path parameters, and the parsed ``body``/``query``; it returns a pydantic model
(or a list of them, or None for 204).
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from ..domain.errors import DomainError, ForbiddenError
from ..domain.tenancy import Caller, Role
from ..logs import logger
from .auth import jwt_auth

if TYPE_CHECKING:
    from ..bootstrap import Container

PUBLIC, STAFF, BOOKER = "public", "staff", "booker"
MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    role: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any  # a BaseModel subclass, list[Model], or None
    status: int


OPERATIONS: list[Operation] = []


def container() -> Container:
    """The composition root, imported on first use: the authorizer, schedules and the queue consumer
    import this module too (every Lambda imports app.py) and need none of the API's adapters."""
    from ..bootstrap import container as build

    return build()


def error_body(status: int, code: str, message: str, **details: Any) -> Response:
    payload: dict[str, Any] = {"code": code, "message": message}
    payload.update({k: v for k, v in details.items() if v is not None})
    return Response(body=json.dumps({"error": payload}), status_code=status, headers={"Content-Type": "application/json"})


def validation_errors(exc: ValidationError, where: str) -> list[dict[str, str]]:
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or where
        out.append({"field": loc, "message": err["msg"], "type": err["type"]})
    return out


def parse_body(raw: bytes | None, model: type[BaseModel]) -> BaseModel:
    if raw is None or raw == b"":
        raw = b"{}"
    if len(raw) > MAX_BODY_BYTES:
        raise _BadRequest("body_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _BadRequest("invalid_json", f"The body is not valid JSON: {exc}.")
    if not isinstance(data, dict):
        raise _BadRequest("invalid_json", "The body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _BadRequest("invalid_input", "The body has invalid fields.", fields=validation_errors(exc, "body"))


def parse_query(params: dict[str, str] | None, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(dict(params or {}))
    except ValidationError as exc:
        raise _BadRequest("invalid_input", "The query has invalid parameters.", fields=validation_errors(exc, "query"))


class _BadRequest(Exception):
    def __init__(self, code: str, message: str, fields: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields


def caller_from(context: dict[str, Any]) -> Caller | None:
    claims = (context or {}).get("authorizer") or {}
    role = claims.get("role")
    if role not in (Role.STAFF.value, Role.BOOKER.value):
        return None
    return Caller(
        subject=claims.get("sub") or claims.get("principalId") or "",
        role=Role(role),
        email=claims.get("email") or None,
        business_id=claims.get("business_id") or None,
    )


def serialise(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, list):
        return [serialise(r) for r in result]
    return result


class ApiBlueprint:
    def __init__(self, import_name: str, tag: str) -> None:
        self.blueprint = Blueprint(import_name)
        self.tag = tag

    def op(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        role: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        OPERATIONS.append(Operation(method, path, summary, self.tag, role, body, query, response, status))
        bp = self.blueprint

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            def view(**path_params: str) -> Response:
                request = bp.current_request
                correlation = (request.headers or {}).get("x-correlation-id") or (request.context or {}).get(
                    "requestId"
                ) or uuid.uuid4().hex
                logger.append_keys(correlation_id=correlation, route=f"{method} {path}")
                try:
                    caller = caller_from(request.context)
                    if role != PUBLIC and caller is None:
                        reason = ((request.context or {}).get("authorizer") or {}).get("auth_error")
                        return error_body(401, "unauthenticated", "A valid bearer token is required.", reason=reason)
                    if role == STAFF and (caller is None or caller.role is not Role.STAFF):
                        raise ForbiddenError("This route is for staff of a business.")
                    if role == BOOKER and (caller is None or caller.role is not Role.BOOKER):
                        raise ForbiddenError("This route is for signed-in bookers with a verified email.")
                    kwargs: dict[str, Any] = dict(path_params)
                    if body is not None:
                        kwargs["body"] = parse_body(request.raw_body, body)
                    if query is not None:
                        kwargs["query"] = parse_query(request.query_params, query)
                    result = handler(caller, **kwargs)
                except _BadRequest as exc:
                    return error_body(400, exc.code, exc.message, fields=exc.fields)
                except DomainError as exc:
                    if exc.status >= 500:
                        logger.exception("domain error")
                    else:
                        logger.info("refused", extra={"code": exc.code, "status": exc.status})
                    return error_body(exc.status, exc.code, exc.message, **exc.details)
                headers = {"Content-Type": "application/json", "X-Correlation-Id": correlation}
                if result is None:
                    return Response(body="", status_code=204 if status == 200 else status, headers=headers)
                return Response(body=json.dumps(serialise(result)), status_code=status, headers=headers)

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
