"""The payment port: what the services need from a payment provider, whoever it is.

Two adapters implement ``PaymentPort``: Stripe (production, ``adapters/stripe_payments.py``) and the
local payment provider (local stack and tests). Checkout completion arrives as a webhook event; the
event consumer turns it into a ``CompletedCheckout`` and calls the handler registered for its
``purpose`` ("membership", "pass", "tickets"), so each feature owns what a paid checkout means.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal, Protocol


@dataclass(frozen=True)
class CheckoutLine:
    title: str
    amount_minor: int
    currency: str
    quantity: int = 1
    # For a subscription line: the provider's recurring price id (a Stripe Price).
    provider_price_id: str | None = None


@dataclass(frozen=True)
class CheckoutRequest:
    business_id: str
    customer_email: str
    mode: Literal["payment", "subscription"]
    lines: tuple[CheckoutLine, ...]
    purpose: str  # which handler completes it: "membership", "pass", "tickets"
    reference: str  # our own id for what is being bought (idempotency key material)
    metadata: dict[str, str] = field(default_factory=dict)
    success_url: str = ""
    cancel_url: str = ""


@dataclass(frozen=True)
class CheckoutSession:
    session_id: str
    url: str
    expires_at: int | None = None  # unix seconds


@dataclass(frozen=True)
class CompletedCheckout:
    """A paid checkout, as read from the provider's ``checkout.session.completed`` event."""

    session_id: str
    business_id: str
    customer_email: str
    purpose: str
    reference: str
    metadata: dict[str, str]
    amount_total: int
    currency: str
    provider_customer_id: str | None = None
    subscription_id: str | None = None
    payment_intent_id: str | None = None
    invoice_id: str | None = None


class PaymentPort(Protocol):
    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...


CheckoutHandler = Callable[[CompletedCheckout], None]
