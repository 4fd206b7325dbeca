"""``POST /webhooks/stripe``: verified on the raw body, enqueued, answered 200 at once."""
from __future__ import annotations

from ..schemas.memberships import WebhookAck
from .framework import PUBLIC, ApiBlueprint, container

api = ApiBlueprint(__name__, tag="webhooks")


@api.op("POST", "/webhooks/stripe", summary="Stripe webhook endpoint (Stripe-Signature required)", role=PUBLIC,
        response=WebhookAck)
def stripe_webhook(caller: None) -> WebhookAck:
    request = api.blueprint.current_request
    headers = request.headers or {}
    receiver = container().webhooks
    assert receiver is not None
    event = receiver.receive(request.raw_body or b"", headers.get("stripe-signature"))
    return WebhookAck(received=True, event_id=event.id)
