"""Bearer JWTs: verified against a JWKS URL in production (e.g. a Cognito user pool), or an HS256
dev key locally. PyJWT is imported here only, so it costs the authorizer's cold start alone.

Claims used: ``sub``; ``role`` (``staff`` | ``booker``, or Cognito's ``custom:role``);
``business_id`` (or ``custom:business_id``) for staff; ``email`` + ``email_verified`` for bookers.
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
    role = claims.get("role") or claims.get("custom:role")
    out = {"sub": str(claims["sub"]), "role": str(role or "")}
    if role == "staff":
        business = claims.get("business_id") or claims.get("custom:business_id")
        if not business:
            raise InvalidTokenError("staff token without business_id")
        out["business_id"] = str(business)
    elif role == "booker":
        verified = claims.get("email_verified") in (True, "true")
        email = normalise_email(str(claims.get("email") or ""))
        if not verified or not email:
            raise InvalidTokenError("booker token without a verified email")
        out["email"] = email
        if claims.get("name"):
            out["name"] = str(claims["name"])
    else:
        raise InvalidTokenError("unknown role")
    return out
