"""The payments record of a customer (B6), as staff read it."""
from __future__ import annotations

from datetime import datetime

from pydantic import Field

from .common import ResponseModel


class PaymentOut(ResponseModel):
    """One Stripe object: a charge, a membership invoice or a refund, newest first."""

    payment_id: str = Field(description="The Stripe id the row is kept under: pi_…, in_…, re_… (cs_… if no other).")
    kind: str = Field(description="'charge' (ticket, pass, one-off membership), 'invoice' (membership) or 'refund'.")
    purpose: str = Field(description="What it paid for: 'booking', 'pass' or 'membership'.")
    amount_minor: int
    currency: str
    state: str = Field(description="'paid', 'partially_refunded', 'refunded'; a refund: 'succeeded' or 'failed' (refused or failed later: nothing went back).")
    refunded_minor: int = Field(description="How much of this payment was refunded.")
    at: datetime
    checkout_session_id: str | None
    payment_intent_id: str | None
    invoice_id: str | None
    refund_id: str | None
    subscription_id: str | None
    refund_of: str | None = Field(description="A refund: the payment_id it gave money back from.")
    booking_ids: list[str]
    pass_product_id: str | None
    membership_id: str | None
