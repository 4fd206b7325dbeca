"""Bearer JWTs: verified against a JWKS URL in production (e.g. a Cognito user pool), or an HS256
dev key locally. PyJWT is imported here only, so it costs the authorizer's cold start alone.

Claims used: ``sub``, and ``email`` + ``email_verified`` (bookers, invitations). Nothing a user
could edit decides what they may do (see ``identity``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..domain.emails import normalise_email
from ..domain.errors import InvalidTokenError


@dataclass
class TokenVerifier:
    audience: str
    issuer: str | None = None
    jwks_url: str | None = None
    dev_secret: str | None = None
    leeway_seconds: int = 30

    def __post_init__(self) -> None:
        self._jwks_client: Any = None

    def verify(self, token: str) -> dict[str, str]:
        """Return the identity claims as flat strings (API Gateway authorizer context)."""
        import jwt  # lazy: only authorizers pay for it

        if not token:
            raise InvalidTokenError("no token")
        try:
            if self.jwks_url:
                if self._jwks_client is None:
                    self._jwks_client = jwt.PyJWKClient(self.jwks_url, cache_keys=True, lifespan=3600)
                key: Any = self._jwks_client.get_signing_key_from_jwt(token).key
                algorithms = ["RS256"]
            elif self.dev_secret:
                key, algorithms = self.dev_secret, ["HS256"]
            else:
                raise InvalidTokenError("no verification key is configured")
            claims = jwt.decode(
                token,
                key=key,
                algorithms=algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(str(exc)) from exc
        return identity(claims)

    def mint(self, claims: dict[str, Any], ttl_seconds: int = 12 * 3600) -> str:
        """Dev tokens for the local stack and tests (needs the dev secret)."""
        import jwt

        if not self.dev_secret:
            raise InvalidTokenError("minting needs JWT_DEV_SECRET")
        now = int(time.time())
        body = {"aud": self.audience, "iat": now, "exp": now + ttl_seconds, **claims}
        if self.issuer:
            body.setdefault("iss", self.issuer)
        return jwt.encode(body, self.dev_secret, algorithm="HS256")


def identity(claims: dict[str, Any]) -> dict[str, str]:
    """Who the person is, and nothing else: ``sub``, and ``email`` when it is verified.

    ``role``, ``business_id`` and Cognito's ``custom:*`` attributes are ignored: a user can edit
    custom attributes, so what a person may do comes from the product's records. An email claim
    that is not a bare address (``Mallory <victim@example.com>``) refuses the whole token.
    """
    out = {"sub": str(claims["sub"])}
    raw = claims.get("email")
    if raw is not None:
        email = normalise_email(str(raw))
        if email is None or email != str(raw).strip().lower():
            raise InvalidTokenError("the email claim is not a bare address")
        if claims.get("email_verified") in (True, "true"):
            out["email"] = email
    if claims.get("name"):
        out["name"] = str(claims["name"])
    return out
