"""The payment port: what the services need from a payment provider, whoever it is.

One adapter implements ``PaymentPort``: ``adapters/stripe_payments.py``, pointed at Stripe in AWS and at
the local payment provider (which speaks Stripe's API) locally. Checkout completion arrives as a
webhook event; the event consumer turns it into a ``CompletedCheckout`` and calls the handler
registered for its ``purpose`` ("membership", "pass"), so each feature owns what a paid checkout means.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


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
    purpose: str  # which handler completes it: "membership", "pass"
    reference: str  # our own id for what is being bought (idempotency key material)
    metadata: dict[str, str] = field(default_factory=dict)
    success_url: str = ""
    cancel_url: str = ""
    # Places held for the checkout are released when it expires: keep it short (Stripe: 30 min to 24 h).
    expires_in_seconds: int | None = None
    # S2, a course: the subscription bills on the course's cycle (unix seconds); Checkout takes no
    # ``cancel_at``, so the completion sets it on the subscription (``set_cancel_at``).
    billing_cycle_anchor: int | None = None
    proration_behavior: Literal["create_prorations", "none"] | None = None


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


@dataclass(frozen=True)
class RecurringPrice:
    """A price option as the provider knows it; ``interval`` None means a one-off payment."""

    amount_minor: int
    currency: str
    interval: Literal["day", "week", "month", "year"] | None = None
    interval_count: int = 1


@dataclass(frozen=True)
class RefundMade:
    """A refund the provider made at our request (B6 records it by its id)."""

    refund_id: str
    amount_minor: int
    currency: str  # upper case
    payment_intent_id: str | None = None
    status: str = "succeeded"  # Stripe's: pending, requires_action, succeeded, failed, canceled
    charge_id: str | None = None

    @property
    def failed(self) -> bool:
        """No money went back (Stripe: a refund that failed or was canceled)."""
        return self.status in ("failed", "canceled")


@dataclass(frozen=True)
class ChargeRefunds:
    """A charge's refunds as the provider has them now, whoever made them (the app or the dashboard)."""

    charge_id: str
    payment_intent_id: str | None
    invoice_id: str | None  # the invoice the charge paid, when it paid one (a membership, a ticket's receipt)
    refunds: tuple[RefundMade, ...]


@dataclass(frozen=True)
class SubscriptionSnapshot:
    """The provider's current view of a subscription: the source of truth the consumer applies."""

    subscription_id: str
    status: str  # Stripe's: incomplete, incomplete_expired, trialing, active, past_due, canceled, unpaid, paused
    customer_id: str | None
    cancel_at_period_end: bool
    current_period_start: int | None
    current_period_end: int | None
    price_id: str | None
    metadata: dict[str, str]
    start_date: int | None = None
    billing_cycle_anchor: int | None = None
    canceled_at: int | None = None
    cancel_at: int | None = None
    ended_at: int | None = None
    latest_invoice_id: str | None = None
    refunds: tuple[RefundMade, ...] = ()  # made by ``cancel_now(refund=True)`` (of the latest invoice)


@dataclass(frozen=True)
class InvoiceSnapshot:
    invoice_id: str
    status: str | None  # draft, open, paid, uncollectible, void
    subscription_id: str | None
    amount_paid: int
    amount_due: int
    currency: str
    billing_reason: str | None
    attempt_count: int
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    customer_email: str | None = None


class PaymentPort(Protocol):
    """Every call that creates or changes something takes (or derives) a deterministic idempotency key."""

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...

    def expire_checkout(self, session_id: str) -> None:
        """Close an open checkout session so it can no longer be paid (an error if it was paid meanwhile)."""
        ...

    def create_product(self, business_id: str, membership_id: str, name: str, description: str) -> str: ...

    def update_product(self, product_id: str, name: str, description: str, active: bool) -> None: ...

    def create_price(self, business_id: str, option_id: str, product_id: str, title: str, price: RecurringPrice) -> str: ...

    def update_price_title(self, price_id: str, title: str) -> None: ...

    def retrieve_subscription(self, subscription_id: str) -> SubscriptionSnapshot: ...

    def retrieve_invoice(self, invoice_id: str) -> InvoiceSnapshot: ...

    def invoice_pdf(self, invoice: InvoiceSnapshot) -> bytes | None:
        """The invoice as a PDF, or None when it cannot be fetched (the email then links to it)."""
        ...

    def set_cancel_at_period_end(self, subscription_id: str, cancel: bool, key: str) -> SubscriptionSnapshot: ...

    def cancel_now(self, subscription_id: str, refund: bool, key: str) -> SubscriptionSnapshot: ...

    def set_cancel_at(self, subscription_id: str, cancel_at: int, key: str) -> SubscriptionSnapshot:
        """S7: the subscription ends by itself at ``cancel_at`` (a course's end); the last period is prorated."""
        ...

    def reset_billing_cycle(self, subscription_id: str, key: str) -> SubscriptionSnapshot: ...

    def refund_payment(self, payment_intent_id: str | None, invoice_id: str | None, amount_minor: int,
                       key: str) -> RefundMade:
        """Refund part of a checkout's payment (by its payment intent, else its invoice's payment)."""
        ...

    def charge_refunds(self, charge_id: str) -> ChargeRefunds:
        """B6: re-read a charge and every refund of it (``charge.refunded`` and refund events apply this)."""
        ...

    def pause_subscription(self, subscription_id: str, key: str) -> SubscriptionSnapshot:
        """X1: pause now (Stripe's Pause: status ``paused``, no invoices until resumed)."""
        ...

    def resume_subscription(self, subscription_id: str, key: str) -> SubscriptionSnapshot:
        """X1: resume now, the billing cycle restarting today (``key``: once per pause)."""
        ...

    def portal_url(self, customer_id: str, return_url: str) -> str: ...

    def redact_customer(self, customer_id: str, erased_as: str) -> None:
        """C6: blank the customer's name, phone and addresses, email → ``erased_as``, metadata ``erased``;
        one idempotency key per (customer, pseudonym). A customer deleted on Stripe meanwhile is no error."""
        ...

    def dashboard_url(self, kind: Literal["products", "prices", "subscriptions", "customers"], object_id: str) -> str: ...


@dataclass(frozen=True)
class ConnectedAccount:
    """A business's own Stripe account, as the Connect OAuth exchange and the account read report it."""

    account_id: str
    livemode: bool
    charges_enabled: bool
    email: str | None = None


class PaymentPlatform(Protocol):
    """The platform's Stripe (Connect): a ``PaymentPort`` bound to one connected account, and the OAuth round trip."""

    def for_account(self, account_id: str, application_fee_bps: int = 0) -> PaymentPort:
        """Every call of the returned port is made on ``account_id`` (direct charges), keys include the account."""
        ...

    def connect_url(self, state: str, redirect_uri: str) -> str:
        """Where the business's owner approves the connection (Standard accounts, OAuth)."""
        ...

    def connect_account(self, code: str) -> ConnectedAccount:
        """Exchange the OAuth ``code`` for the account id, then read the account (mode, charges)."""
        ...


class BusinessPayments(Protocol):
    """The payment port of one business: bound to its connected account, or ``StripeNotConnectedError`` (T6)."""

    def for_business(self, business_id: str) -> PaymentPort: ...


CheckoutHandler = Callable[[CompletedCheckout], None]


@dataclass(frozen=True)
class PriceChange:
    price_id: str
    product_id: str | None
    title: str | None
    amount_minor: int
    currency: str | None
    interval: Literal["day", "week", "month", "year"] | None
    interval_count: int
    active: bool


@dataclass(frozen=True)
class ProductChange:
    product_id: str
    name: str | None
    description: str


@dataclass(frozen=True)
class ProviderEvent:
    """A provider event, parsed once on arrival; each handler reads the typed part its type carries."""

    event_id: str
    type: str
    created: int
    object_id: str | None
    checkout: CompletedCheckout | None = None  # checkout.session.*: its metadata and references
    checkout_paid: bool = False
    subscription_id: str | None = None  # customer.subscription.*, and the subscription of an invoice
    invoice: InvoiceSnapshot | None = None
    price: PriceChange | None = None
    product: ProductChange | None = None
    raw: dict[str, Any] | None = None
    account: str | None = None  # Connect: the connected account the event happened on (routes it to a business)
    livemode: bool = False
    charge_id: str | None = None  # charge.* events, and the charge a refund.* event's refund belongs to

    @property
    def id(self) -> str:
        return self.event_id


EventParser = Callable[[dict[str, Any]], ProviderEvent]


class SignatureVerifier(Protocol):
    """Checks a webhook's signature header against the raw body (Stripe's scheme in production)."""

    def problem(self, payload: str, header: str, secret: str, tolerance_seconds: int) -> str | None:
        """None when the signature verifies, else what is wrong with it."""
        ...
