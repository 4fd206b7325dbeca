"""Stripe webhooks: verify the signature on the raw body, then put the event on the queue.

Verification happens here, at the HTTP edge, never in the consumer: a message can wait in the
queue longer than the signature tolerance. Anything unsigned, forged, stale, from the future or
malformed is refused (400) and nothing is enqueued. A verified body too large for an SQS message
is stored in the blob store and the queue carries a pointer to it (``ports/queue.py``).
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..domain.errors import DomainError, InvalidInputError
from ..ports.queue import MAX_INLINE_BODY_BYTES, STORED_KIND, BlobStore, EventPublisher, StoredBody

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..ports.payments import SignatureVerifier

TOLERANCE_SECONDS = 300
EVENT_KIND = "stripe_event"


class WebhookNotConfiguredError(DomainError):
    status = 503
    code = "webhook_not_configured"


@dataclass(frozen=True)
class VerifiedEvent:
    """What the receiver acknowledges: the Stripe event's id and whether its body went to the blob store."""

    id: str
    stored: bool


def signature_timestamp(header: str) -> int | None:
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


def event_body(payload: str) -> dict[str, Any]:
    """The parsed event; only its envelope is checked here (the consumer validates the object)."""
    try:
        body = json.loads(payload)
    except ValueError as exc:
        raise InvalidInputError(f"The body is not a Stripe event: {exc}", field="body") from exc
    data = body.get("data") if isinstance(body, dict) else None
    fields_ok = (isinstance(body, dict) and all(isinstance(body.get(f), str) and 0 < len(body[f]) <= 255 for f in ("id", "type"))
                 and isinstance(body.get("created"), int) and isinstance(data, dict) and isinstance(data.get("object"), dict))
    if not fields_ok:
        raise InvalidInputError("The body is not a Stripe event (id, type, created and data.object are required).", field="body")
    event: dict[str, Any] = body
    return event


class StripeWebhookReceiver:
    def __init__(self, secret: str, signatures: SignatureVerifier, queue: Callable[[], EventPublisher],
                 blobs: Callable[[], BlobStore], clock: Callable[[], float] = time.time) -> None:
        self.secret = secret
        self.signatures = signatures
        self.queue = queue
        self.blobs = blobs
        self.clock = clock

    def verify(self, raw: bytes, header: str | None) -> dict[str, Any]:
        if not self.secret:
            raise WebhookNotConfiguredError("STRIPE_WEBHOOK_SECRET is not set; webhooks cannot be verified.")
        if not header:
            raise InvalidInputError("The Stripe-Signature header is missing.", field="Stripe-Signature", code="bad_signature")
        try:
            payload = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"The body is not UTF-8: {exc}", field="body", code="bad_signature")
        problem = self.signatures.problem(payload, header, self.secret, TOLERANCE_SECONDS)
        if problem is not None:
            raise InvalidInputError(f"Stripe-Signature does not verify: {problem}", field="Stripe-Signature",
                                    code="bad_signature")
        ts = signature_timestamp(header)
        if ts is None or ts > self.clock() + TOLERANCE_SECONDS:
            raise InvalidInputError("Stripe-Signature timestamp is in the future.", field="Stripe-Signature", code="bad_signature")
        return event_body(payload)

    def receive(self, raw: bytes, header: str | None) -> VerifiedEvent:
        body = self.verify(raw, header)
        event_id: str = body["id"]
        if len(json.dumps(body).encode()) <= MAX_INLINE_BODY_BYTES:
            self.queue().send(EVENT_KIND, body, correlation_id=event_id)
            return VerifiedEvent(event_id, stored=False)
        key = f"webhooks/stripe/{event_id}/{uuid.uuid4().hex}.json"
        self.blobs().put(key, raw)
        pointer: StoredBody = {"key": key, "kind": EVENT_KIND}
        self.queue().send(STORED_KIND, dict(pointer), correlation_id=event_id)
        return VerifiedEvent(event_id, stored=True)
