"""Settings read once from the environment (`.chalice/config.json` per stage, or the local runner)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    region: str
    events_queue_url: str
    blob_bucket: str  # bodies too large for an SQS message (infra: BlobBucket)
    email_sender: str
    jwt_jwks_url: str | None
    jwt_issuer: str | None
    jwt_audience: str
    jwt_dev_secret: str | None
    payment_provider: str  # "stripe" in production, "local" for the local stack and tests
    stripe_api_key: str | None
    stripe_webhook_secret: str
    stripe_api_base: str | None
    public_base_url: str
    cursor_secret: str = ""  # seals list cursors (L1); falls back to the token or webhook secret
    # Platform operators (T3): token subjects, set by whoever deploys (SSM/stack parameter), never by a user.
    operator_subjects: frozenset[str] = frozenset()
    # Stripe Connect (T4, T5): the platform's OAuth client id, the mode its events must be in, the OAuth state key.
    stripe_connect_client_id: str | None = None
    stripe_livemode: bool = False
    connect_state_secret: str = ""
    portal_link_secret: str = ""  # signs the portal links in emails (B5)

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        return cls(
            region=env.get("AWS_DEFAULT_REGION", env.get("AWS_REGION", "eu-west-1")),
            events_queue_url=env.get("EVENTS_QUEUE_URL", ""),
            blob_bucket=env.get("BLOB_BUCKET", "local-blobs"),
            email_sender=env.get("EMAIL_SENDER", "no-reply@example.com"),
            jwt_jwks_url=env.get("JWT_JWKS_URL") or None,
            jwt_issuer=env.get("JWT_ISSUER") or None,
            jwt_audience=env.get("JWT_AUDIENCE", "memberships-api"),
            jwt_dev_secret=env.get("JWT_DEV_SECRET") or None,
            payment_provider=env.get("PAYMENT_PROVIDER", "local"),
            stripe_api_key=env.get("STRIPE_API_KEY") or None,
            stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", ""),
            stripe_api_base=env.get("STRIPE_API_BASE") or None,
            public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
            cursor_secret=env.get("CURSOR_SECRET") or env.get("JWT_DEV_SECRET") or env.get("STRIPE_WEBHOOK_SECRET", ""),
            operator_subjects=frozenset(s for s in env.get("OPERATOR_SUBJECTS", "").replace(" ", "").split(",") if s),
            stripe_connect_client_id=env.get("STRIPE_CONNECT_CLIENT_ID") or None,
            stripe_livemode=env.get("STRIPE_LIVEMODE", "").lower() in ("1", "true", "yes")
            or (env.get("STRIPE_API_KEY") or "").startswith(("sk_live", "rk_live")),
            connect_state_secret=env.get("CONNECT_STATE_SECRET") or env.get("STRIPE_WEBHOOK_SECRET", ""),
            portal_link_secret=env.get("PORTAL_LINK_SECRET") or env.get("JWT_DEV_SECRET") or env.get("STRIPE_WEBHOOK_SECRET", ""),
        )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()
