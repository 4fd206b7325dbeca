"""The Chalice authorizer every non-public route uses. It only verifies; routes decide roles.

An invalid token is let through *without an identity* (context ``auth_error``), and the route
framework answers 401 with a JSON reason. That gives the same 401 body on API Gateway, under
``chalice local`` and in ``chalice.test.Client`` (where an authorizer that raises becomes a 500).
A request with no Authorization header never reaches this function: API Gateway answers 401.
"""
from __future__ import annotations

from chalice.app import AuthResponse, Blueprint

from ..domain.errors import InvalidTokenError
from ..logs import logger

auth_blueprint = Blueprint(__name__)


@auth_blueprint.authorizer(ttl_seconds=0)
def jwt_auth(auth_request):  # type: ignore[no-untyped-def]
    from ..bootstrap import token_verifier

    header = auth_request.token or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        token = ""
    try:
        claims = token_verifier().verify(token.strip())
    except InvalidTokenError as exc:
        logger.info("token refused", extra={"reason": str(exc)})
        return AuthResponse(routes=["*"], principal_id="anonymous", context={"auth_error": str(exc)[:200]})
    return AuthResponse(routes=["*"], principal_id=claims["sub"], context=claims)
