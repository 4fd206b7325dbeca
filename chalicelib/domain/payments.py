"""The payments record of a customer (B6): every charge, membership invoice and refund, as staff see it.

One row per Stripe object (a payment intent, an invoice, a refund), keyed by that object's id, so a
redelivered event or a retried refund never writes a second row. A refund row names the row it gave
money back from (``refund_of``); that row's ``refunded_minor`` and state follow.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from .money import format_money


class PaymentKind(str, Enum):
    CHARGE = "charge"  # a one-off payment: a card ticket, a pass, a one-off membership
    INVOICE = "invoice"  # a membership's subscription invoice (the first and every renewal)
    REFUND = "refund"


class PaymentState(str, Enum):
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    SUCCEEDED = "succeeded"  # a refund that went through
    FAILED = "failed"  # a refund Stripe refused or that failed later: no money went back


@dataclass(frozen=True)
class PaymentRecord:
    business_id: str
    payment_id: str  # the Stripe id the row is keyed by: pi_…, in_…, re_… (cs_… when a checkout has no other)
    email: str
    kind: PaymentKind
    purpose: str  # "booking", "pass", "membership"
    amount_minor: int
    currency: str  # ISO code, upper case
    at: datetime
    state: PaymentState = PaymentState.PAID
    refunded_minor: int = 0
    checkout_session_id: str | None = None
    payment_intent_id: str | None = None
    invoice_id: str | None = None
    refund_id: str | None = None
    subscription_id: str | None = None
    refund_of: str | None = None  # a refund: the payment_id of the row it gave money back from
    booking_ids: tuple[str, ...] = ()
    pass_product_id: str | None = None
    membership_id: str | None = None

    def after_refund(self, amount_minor: int) -> PaymentRecord:
        """This payment once ``amount_minor`` more of it is refunded (never more than was paid); a negative
        amount takes back a refund that failed after it was recorded as made."""
        refunded = max(0, min(self.amount_minor, self.refunded_minor + amount_minor))
        state = (PaymentState.REFUNDED if refunded >= self.amount_minor else
                 PaymentState.PARTIALLY_REFUNDED if refunded else PaymentState.PAID)
        return replace(self, refunded_minor=refunded, state=state)

    def describe(self) -> str:
        """One line for a membership's history."""
        amount = format_money(self.amount_minor, self.currency)
        if self.kind is PaymentKind.REFUND:
            failed = " failed" if self.state is PaymentState.FAILED else ""
            return f"refund {self.refund_id or self.payment_id}{failed}: {amount}"
        return f"invoice {self.invoice_id or self.payment_id} {self.state.value}: {amount}"
