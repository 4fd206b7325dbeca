"""``POST /webhooks/stripe``: verified on the raw body, enqueued, answered 200 at once."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .framework import PUBLIC, ApiBlueprint, container

if TYPE_CHECKING:
    from collections.abc import Mapping

api = ApiBlueprint(__name__, tag="webhooks", schemas="chalicelib.schemas.memberships")


@api.op("POST", "/webhooks/stripe", summary="Stripe webhook endpoint (Stripe-Signature required)", role=PUBLIC,
        response="WebhookAck")
def stripe_webhook(ctx: None) -> dict[str, Any]:
    """The signature covers the exact bytes Stripe sent, so the body is read raw, not parsed by the framework."""
    request = api.blueprint.current_request
    raw = request.raw_body or b""
    headers: Mapping[str, str] = request.headers or {}
    signature = headers.get("stripe-signature")
    event = container().webhooks.receive(raw if isinstance(raw, bytes) else raw.encode(), signature)
    return {"received": True, "event_id": event.id}


@api.op("POST", "/webhooks/ses", summary="SES bounces and complaints via SNS (signature and topic checked)", role=PUBLIC,
        content_types=("text/plain", "application/json"))
def ses_feedback(ctx: None) -> dict[str, Any]:
    raw = api.blueprint.current_request.raw_body or b""
    suppressed = container().email_feedback.receive(raw if isinstance(raw, bytes) else raw.encode())
    return {"received": True, "suppressed": suppressed}
