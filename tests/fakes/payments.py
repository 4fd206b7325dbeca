"""An in-memory payment provider speaking ``PaymentPort``: Stripe-shaped subscriptions and invoices in
dicts, every call recorded in ``calls`` so tests can count what a use case asks of Stripe."""
from __future__ import annotations

import copy
import dataclasses
from typing import Any, Literal

from chalicelib.adapters.stripe_objects import invoice_snapshot, subscription_snapshot
from chalicelib.ports.payments import (
    CheckoutRequest,
    CheckoutSession,
    ConnectedAccount,
    InvoiceSnapshot,
    RecurringPrice,
    RefundMade,
    SubscriptionSnapshot,
)


class FakePayments:
    def __init__(self) -> None:
        self.subs: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.checkouts: list[CheckoutRequest] = []
        self.refunds: list[tuple[str | None, str | None, int]] = []
        self.expired: list[str] = []  # sessions expired on request (a held booking cancelled before paying)
        self.refund_keys: list[str] = []  # Stripe makes one refund per idempotency key
        self.calls: list[str] = []
        self.fail_checkout = False
        self.accounts: list[str] = []  # the connected account of every bound call (for_account)
        self.connect_codes: dict[str, ConnectedAccount] = {}
        self.customers: dict[str, dict[str, Any]] = {}  # C6: redacted customers, by id
        self.redact_keys: list[str] = []

    # The platform (``PaymentPlatform``) and a business's payments (``BusinessPayments``): one in-memory account.
    def for_account(self, account_id: str, application_fee_bps: int = 0) -> FakePayments:
        self.accounts.append(account_id)
        return self

    def for_business(self, business_id: str) -> FakePayments:
        return self

    def connect_url(self, state: str, redirect_uri: str) -> str:
        return f"https://connect.example/oauth/authorize?state={state}&redirect_uri={redirect_uri}"

    def connect_account(self, code: str) -> ConnectedAccount:
        return self.connect_codes[code]

    def _call(self, name: str) -> None:
        self.calls.append(name)

    def add_subscription(self, sid: str, **fields: Any) -> dict[str, Any]:
        sub: dict[str, Any] = {"id": sid, "status": "active", "customer": "cus_1", "cancel_at_period_end": False,
                               "items": {"data": [{"current_period_start": 0, "current_period_end": 0,
                                                   "price": {"id": "price_1"}}]},
                               "metadata": {}, "latest_invoice": None}
        sub.update(fields)
        self.subs[sid] = sub
        return sub

    def add_invoice(self, iid: str, **fields: Any) -> dict[str, Any]:
        inv: dict[str, Any] = {"id": iid, "status": "paid", "amount_paid": 0, "amount_due": 0, "currency": "eur",
                               "billing_reason": "subscription_create", "attempt_count": 1,
                               "hosted_invoice_url": f"https://pay.example/{iid}", "invoice_pdf": f"https://pay.example/{iid}.pdf"}
        inv.update(fields)
        self.invoices[iid] = inv
        return inv

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        self._call("create_checkout")
        if self.fail_checkout:
            raise RuntimeError("provider down")
        self.checkouts.append(request)
        return CheckoutSession(f"cs_{request.reference}", f"https://pay.example/cs_{request.reference}", 1)

    def create_product(self, business_id: str, membership_id: str, name: str, description: str) -> str:
        self._call("create_product")
        return f"prod_{membership_id}"

    def update_product(self, product_id: str, name: str, description: str, active: bool) -> None:
        self._call("update_product")

    def create_price(self, business_id: str, option_id: str, product_id: str, title: str, price: RecurringPrice) -> str:
        self._call("create_price")
        return f"price_{option_id}"

    def update_price_title(self, price_id: str, title: str) -> None:
        self._call("update_price_title")

    def retrieve_subscription(self, subscription_id: str) -> SubscriptionSnapshot:
        self._call("retrieve_subscription")
        return subscription_snapshot(copy.deepcopy(self.subs[subscription_id]))

    def retrieve_invoice(self, invoice_id: str) -> InvoiceSnapshot:
        self._call("retrieve_invoice")
        return invoice_snapshot(copy.deepcopy(self.invoices[invoice_id]))

    def invoice_pdf(self, invoice: InvoiceSnapshot) -> bytes | None:
        self._call("invoice_pdf")
        return b"%PDF-1.4 fake" if invoice.invoice_pdf else None

    def _update(self, subscription_id: str, **fields: Any) -> SubscriptionSnapshot:
        self.subs[subscription_id].update(fields)
        return subscription_snapshot(copy.deepcopy(self.subs[subscription_id]))

    def set_cancel_at_period_end(self, subscription_id: str, cancel: bool, key: str) -> SubscriptionSnapshot:
        self._call("set_cancel_at_period_end")
        return self._update(subscription_id, cancel_at_period_end=cancel, canceled_at=1 if cancel else None)

    def cancel_now(self, subscription_id: str, refund: bool, key: str) -> SubscriptionSnapshot:
        self._call("cancel_now")
        snap = self._update(subscription_id, status="canceled", canceled_at=1)
        invoice = self.invoices.get(snap.latest_invoice_id or "")
        if not refund or invoice is None:
            return snap
        made = RefundMade(f"re_{key}_{subscription_id}", int(invoice.get("amount_paid") or 0),
                          str(invoice.get("currency") or "eur").upper(), None)
        return dataclasses.replace(snap, refunds=(made,))

    def set_cancel_at(self, subscription_id: str, cancel_at: int, key: str) -> SubscriptionSnapshot:
        self._call("set_cancel_at")
        return self._update(subscription_id, cancel_at=cancel_at)

    def reset_billing_cycle(self, subscription_id: str, key: str) -> SubscriptionSnapshot:
        self._call("reset_billing_cycle")
        return self._update(subscription_id)

    def pause_subscription(self, subscription_id: str, key: str) -> SubscriptionSnapshot:
        self._call("pause_subscription")
        return self._update(subscription_id, status="paused")

    def resume_subscription(self, subscription_id: str, key: str) -> SubscriptionSnapshot:
        self._call("resume_subscription")
        return self._update(subscription_id, status="active")

    def expire_checkout(self, session_id: str) -> None:
        self._call("expire_checkout")
        self.expired.append(session_id)

    def refund_payment(self, payment_intent_id: str | None, invoice_id: str | None, amount_minor: int,
                       key: str) -> RefundMade:
        self._call("refund_payment")
        self.refunds.append((payment_intent_id, invoice_id, amount_minor))
        self.refund_keys.append(key)
        return RefundMade(f"re_{len(self.refund_keys)}_{key}", amount_minor, "EUR", payment_intent_id)

    def portal_url(self, customer_id: str, return_url: str) -> str:
        self._call("portal_url")
        return f"https://billing.example/portal/{customer_id}"

    def dashboard_url(self, kind: Literal["products", "prices", "subscriptions", "customers"], object_id: str) -> str:
        return f"https://dashboard.example/{kind}/{object_id}"

    def redact_customer(self, customer_id: str, erased_as: str) -> None:
        """C6: the customer as Stripe keeps it afterwards; one change per idempotency key, as on Stripe."""
        self._call("redact_customer")
        key = f"redact|{customer_id}|{erased_as}"
        if key not in self.redact_keys:
            self.redact_keys.append(key)
            self.customers[customer_id] = {"name": None, "email": None, "phone": None,
                                           "metadata": {"erased": "true", "erased_as": erased_as}}





class OneAccount:
    """``BusinessPayments`` for use-case tests: every business is connected to the one fake account."""

    def __init__(self, port: Any) -> None:
        self.port = port  # the port, or a function giving the current one

    def for_business(self, business_id: str) -> Any:
        return self.port() if callable(self.port) else self.port


class FakeConnect:
    """What the event consumer asks of Connect: the business of an account, and deauthorisation."""

    def __init__(self, **accounts: str) -> None:
        from chalicelib.domain.tenancy import Business, Plan, StripeConnection

        self.businesses = {acct: Business(bid, bid, Plan.STANDARD, "UTC", stripe_account_id=acct,
                                          stripe_connection=StripeConnection.CONNECTED) for acct, bid in accounts.items()}
        self.deauthorized_events: list[tuple[str, str]] = []

    def business_of_account(self, account_id: str) -> Any:
        return self.businesses.get(account_id)

    def deauthorized(self, business: Any, occurrence: str) -> None:
        self.deauthorized_events.append((business.business_id, occurrence))
