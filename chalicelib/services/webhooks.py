"""Stripe webhooks: verify the signature on the raw body, then put the event on the queue.

Verification happens here, at the HTTP edge, never in the consumer: a message can wait in the
queue longer than the signature tolerance. Anything unsigned, forged, stale, from the future or
malformed is refused (400) and nothing is enqueued.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable

from pydantic import ValidationError

from ..adapters.event_queue import EventQueue
from ..domain.errors import DomainError, InvalidInputError
from ..schemas.memberships import StripeEvent

TOLERANCE_SECONDS = 300


class WebhookNotConfiguredError(DomainError):
    status = 503
    code = "webhook_not_configured"


def signature_timestamp(header: str) -> int | None:
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


class StripeWebhookReceiver:
    def __init__(self, secret: str, queue: Callable[[], EventQueue], clock: Callable[[], float] = time.time) -> None:
        self.secret = secret
        self.queue = queue
        self.clock = clock

    def verify(self, raw: bytes, header: str | None) -> StripeEvent:
        import stripe

        if not self.secret:
            raise WebhookNotConfiguredError("STRIPE_WEBHOOK_SECRET is not set; webhooks cannot be verified.")
        if not header:
            raise InvalidInputError("The Stripe-Signature header is missing.", field="Stripe-Signature", code="bad_signature")
        try:
            payload = raw.decode("utf-8")
            stripe.WebhookSignature.verify_header(payload, header, self.secret, TOLERANCE_SECONDS)
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
            raise InvalidInputError(f"Stripe-Signature does not verify: {exc}", field="Stripe-Signature", code="bad_signature")
        ts = signature_timestamp(header)
        if ts is None or ts > self.clock() + TOLERANCE_SECONDS:
            raise InvalidInputError("Stripe-Signature timestamp is in the future.", field="Stripe-Signature", code="bad_signature")
        try:
            return StripeEvent.model_validate(json.loads(payload))
        except (ValueError, ValidationError) as exc:
            raise InvalidInputError(f"The body is not a Stripe event: {exc}", field="body")

    def receive(self, raw: bytes, header: str | None) -> StripeEvent:
        event = self.verify(raw, header)
        self.queue().send("stripe_event", json.loads(raw), correlation_id=event.id)
        return event
