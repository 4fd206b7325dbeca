"""Stripe's webhook signature scheme (HMAC-SHA256 over "timestamp.body"), checked by stripe-python."""
from __future__ import annotations


class StripeSignatures:
    def problem(self, payload: str, header: str, secret: str, tolerance_seconds: int) -> str | None:
        import stripe  # lazy: only the webhook route pays for it

        try:
            stripe.WebhookSignature.verify_header(payload, header, secret, tolerance_seconds)
        except stripe.SignatureVerificationError as exc:
            return str(exc)
        return None
