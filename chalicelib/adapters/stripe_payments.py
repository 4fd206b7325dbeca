"""The payment port on Stripe (``StripeClient``), typed with stripe-python's own params (mypy-checked).

Every POST carries a deterministic idempotency key built from what it does, so a retried Lambda or
a redelivered message never creates a second product, price, checkout, refund or cancellation.
The local payment provider (``local/payment_provider.py``) speaks the same HTTP API, so this exact
code also runs in the local stack (``STRIPE_API_BASE``).
"""
from __future__ import annotations

import time
import urllib.request
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from ..domain.errors import PaymentsUnavailableError
from ..ports.payments import (
    ChargeRefunds,
    CheckoutRequest,
    CheckoutSession,
    ConnectedAccount,
    InvoiceSnapshot,
    RecurringPrice,
    RefundMade,
    SubscriptionSnapshot,
)
from .stripe_objects import _ref, idempotency_key, invoice_snapshot, plain, subscription_snapshot

if TYPE_CHECKING:
    from stripe import RequestOptions, StripeClient
    from stripe.params import (
        CustomerUpdateParams,
        PriceCreateParams,
        SubscriptionPauseParams,
        SubscriptionResumeParams,
        SubscriptionUpdateParams,
    )
    from stripe.params.checkout import (
        SessionCreateParams,
        SessionCreateParamsLineItem,
        SessionCreateParamsSubscriptionData,
    )

PDF_TIMEOUT_SECONDS = 5




class StripePayments:
    """Unbound, it is the platform (``PaymentPlatform``); ``for_account`` gives the port of one connected account."""

    def __init__(self, api_key: str, api_base: str | None = None, *, client_id: str | None = None,
                 account: str | None = None, application_fee_bps: int = 0, shared: StripePayments | None = None) -> None:
        self.api_key = api_key
        self.api_base = api_base
        self.client_id = client_id
        self.account = account
        self.application_fee_bps = application_fee_bps
        self._shared = shared

    @cached_property
    def client(self) -> StripeClient:
        if self._shared is not None:  # one HTTP client per container, whatever the account
            return self._shared.client
        from stripe import StripeClient

        if self.api_base:
            return StripeClient(self.api_key, base_addresses={"api": self.api_base, "connect": self.api_base},
                                client_id=self.client_id, max_network_retries=2)
        return StripeClient(self.api_key, client_id=self.client_id, max_network_retries=2)

    # --- the platform: Connect ----------------------------------------------------------------------

    def for_account(self, account_id: str, application_fee_bps: int = 0) -> StripePayments:
        return StripePayments(self.api_key, self.api_base, client_id=self.client_id, account=account_id,
                              application_fee_bps=application_fee_bps, shared=self)

    def connect_url(self, state: str, redirect_uri: str) -> str:
        if not self.client_id:
            raise PaymentsUnavailableError("STRIPE_CONNECT_CLIENT_ID is not set: businesses cannot connect Stripe yet.")
        return self.client.oauth.authorize_url(params={"response_type": "code", "scope": "read_write",
                                                       "state": state, "redirect_uri": redirect_uri})

    def connect_account(self, code: str) -> ConnectedAccount:
        token = self.client.oauth.token(params={"grant_type": "authorization_code", "code": code})
        account_id = str(token["stripe_user_id"])
        account = self.client.v1.accounts.retrieve(account_id)
        return ConnectedAccount(account_id, livemode=bool(plain(token).get("livemode")),
                                charges_enabled=bool(account.charges_enabled), email=account.email)

    def _on(self, *key_parts: object) -> RequestOptions:
        """Options of a call on the bound account; a key (when given parts) includes the account."""
        if self.account is None:
            raise RuntimeError("a Stripe call for a business needs its connected account (use for_account)")
        options: RequestOptions = {"stripe_account": self.account}
        if key_parts:
            options["idempotency_key"] = idempotency_key(self.account, *key_parts)
        return options

    def _fee_amount(self, total_minor: int) -> int:
        return total_minor * self.application_fee_bps // 10_000

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        lines: list[SessionCreateParamsLineItem] = []
        for line in request.lines:
            if line.provider_price_id:
                lines.append({"price": line.provider_price_id, "quantity": line.quantity})
            else:
                lines.append({
                    "quantity": line.quantity,
                    "price_data": {
                        "currency": line.currency.lower(),
                        "unit_amount": line.amount_minor,
                        "product_data": {"name": line.title},
                    },
                })
        metadata = {**request.metadata, "business_id": request.business_id, "purpose": request.purpose,
                    "reference": request.reference, "customer_email": request.customer_email}
        params: SessionCreateParams = {
            "mode": request.mode,
            "line_items": lines,
            "customer_email": request.customer_email,
            "client_reference_id": request.reference,
            "metadata": metadata,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.expires_in_seconds:
            params["expires_at"] = int(time.time()) + request.expires_in_seconds
        if request.mode == "subscription":
            params["subscription_data"] = {"metadata": metadata}
            if self.application_fee_bps:
                params["subscription_data"]["application_fee_percent"] = self.application_fee_bps / 100
            self._course_terms(params["subscription_data"], request)
        else:
            params["invoice_creation"] = {"enabled": True}
            params["payment_intent_data"] = {"metadata": metadata}
            fee = self._fee_amount(sum(line.amount_minor * line.quantity for line in request.lines))
            if fee:
                params["payment_intent_data"]["application_fee_amount"] = fee
        session = self.client.v1.checkout.sessions.create(
            params=params,
            options=self._on("checkout", request.business_id, request.purpose, request.reference),
        )
        return CheckoutSession(session_id=session.id, url=session.url or "", expires_at=session.expires_at)

    def expire_checkout(self, session_id: str) -> None:
        self.client.v1.checkout.sessions.expire(session_id, options=self._on("expire", session_id))

    @staticmethod
    def _course_terms(data: SessionCreateParamsSubscriptionData, request: CheckoutRequest) -> None:
        """S2: a course ends by itself (``cancel_at``) and bills on the course's own cycle."""
        if request.billing_cycle_anchor is not None:
            data["billing_cycle_anchor"] = request.billing_cycle_anchor
        if request.proration_behavior is not None:
            data["proration_behavior"] = request.proration_behavior

    def create_product(self, business_id: str, membership_id: str, name: str, description: str) -> str:
        product = self.client.v1.products.create(
            params={"name": name, "description": description or name,
                    "metadata": {"business_id": business_id, "membership_id": membership_id}},
            options=self._on("product", business_id, membership_id),
        )
        return product.id

    def update_product(self, product_id: str, name: str, description: str, active: bool) -> None:
        self.client.v1.products.update(
            product_id,
            params={"name": name, "description": description or name, "active": active},
            options=self._on("product-update", product_id, name, description, active),
        )

    def create_price(self, business_id: str, option_id: str, product_id: str, title: str, price: RecurringPrice) -> str:
        params: PriceCreateParams = {
            "product": product_id,
            "currency": price.currency.lower(),
            "unit_amount": price.amount_minor,
            "nickname": title,
            "metadata": {"business_id": business_id, "option_id": option_id},
        }
        if price.interval:
            params["recurring"] = {"interval": price.interval, "interval_count": price.interval_count}
        created = self.client.v1.prices.create(
            params=params, options=self._on("price", business_id, option_id)
        )
        return created.id

    def update_price_title(self, price_id: str, title: str) -> None:
        self.client.v1.prices.update(
            price_id, params={"nickname": title},
            options=self._on("price-title", price_id, title),
        )

    def retrieve_subscription(self, subscription_id: str) -> SubscriptionSnapshot:
        return subscription_snapshot(self.client.v1.subscriptions.retrieve(subscription_id, options=self._on()))

    def retrieve_invoice(self, invoice_id: str) -> InvoiceSnapshot:
        return invoice_snapshot(self.client.v1.invoices.retrieve(invoice_id, options=self._on()))

    def invoice_pdf(self, invoice: InvoiceSnapshot) -> bytes | None:
        if not invoice.invoice_pdf:
            return None
        try:
            with urllib.request.urlopen(invoice.invoice_pdf, timeout=PDF_TIMEOUT_SECONDS) as resp:  # noqa: S310
                data: bytes = resp.read()
        except OSError:
            return None
        return data if data.startswith(b"%PDF") else None

    def set_cancel_at_period_end(self, subscription_id: str, cancel: bool, key: str) -> SubscriptionSnapshot:
        params: SubscriptionUpdateParams = {"cancel_at_period_end": cancel}
        sub = self.client.v1.subscriptions.update(
            subscription_id, params=params,
            options=self._on("cancel-at-period-end", subscription_id, cancel, key),
        )
        return subscription_snapshot(sub)

    def cancel_now(self, subscription_id: str, refund: bool, key: str) -> SubscriptionSnapshot:
        before = self.client.v1.subscriptions.retrieve(subscription_id, options=self._on())
        made: list[RefundMade] = []
        if refund and before.latest_invoice:
            invoice_id = before.latest_invoice if isinstance(before.latest_invoice, str) else before.latest_invoice.id
            payments = self.client.v1.invoice_payments.list(params={"invoice": invoice_id, "status": "paid"}, options=self._on())
            for payment in payments.data:
                intent = payment.payment.payment_intent
                if intent is None:
                    continue
                intent_id = intent if isinstance(intent, str) else intent.id
                created = self.client.v1.refunds.create(
                    params={"payment_intent": intent_id, "metadata": {"subscription_id": subscription_id}},
                    options=self._on("refund", subscription_id, intent_id, key),
                )
                made.append(RefundMade(created.id, created.amount, created.currency.upper(), intent_id))
        if before.status == "canceled":
            return replace(subscription_snapshot(before), refunds=tuple(made))
        sub = self.client.v1.subscriptions.cancel(
            subscription_id, params={"prorate": False},
            options=self._on("cancel-now", subscription_id, key),
        )
        return replace(subscription_snapshot(sub), refunds=tuple(made))

    def set_cancel_at(self, subscription_id: str, cancel_at: int, key: str) -> SubscriptionSnapshot:
        params: SubscriptionUpdateParams = {"cancel_at": cancel_at, "proration_behavior": "create_prorations"}
        sub = self.client.v1.subscriptions.update(
            subscription_id, params=params, options=self._on("cancel-at", subscription_id, cancel_at, key))
        return subscription_snapshot(sub)

    def refund_payment(self, payment_intent_id: str | None, invoice_id: str | None, amount_minor: int,
                       key: str) -> RefundMade:
        intent_id = payment_intent_id
        if intent_id is None and invoice_id:  # subscription-mode checkouts pay through the invoice
            payments = self.client.v1.invoice_payments.list(params={"invoice": invoice_id, "status": "paid"}, options=self._on())
            intent = next((p.payment.payment_intent for p in payments.data if p.payment.payment_intent), None)
            intent_id = intent if isinstance(intent, str) or intent is None else intent.id
        if intent_id is None:
            raise RuntimeError(f"no payment to refund for invoice {invoice_id}")
        created = self.client.v1.refunds.create(
            params={"payment_intent": intent_id, "amount": amount_minor, "metadata": {"reason": "place_released"}},
            options=self._on("refund-part", intent_id, key),
        )
        return RefundMade(created.id, created.amount, created.currency.upper(), intent_id,
                          status=str(created.status or "pending"), charge_id=_ref(created.charge))

    def charge_refunds(self, charge_id: str) -> ChargeRefunds:
        """The charge, its refunds (every page), and the invoice it paid (a membership's is recorded by invoice)."""
        charge = self.client.v1.charges.retrieve(charge_id, options=self._on())
        intent_id = _ref(charge.payment_intent)
        refunds = self.client.v1.refunds.list(params={"charge": charge_id, "limit": 100}, options=self._on())
        made = tuple(RefundMade(r.id, r.amount, r.currency.upper(), _ref(r.payment_intent) or intent_id,
                                status=str(r.status or "pending"), charge_id=charge_id)
                     for r in refunds.auto_paging_iter())
        invoice_id = None
        if intent_id:
            payments = self.client.v1.invoice_payments.list(
                params={"payment": {"type": "payment_intent", "payment_intent": intent_id}, "limit": 1}, options=self._on())
            invoice_id = next((_ref(p.invoice) for p in payments.data), None)
        return ChargeRefunds(charge_id, intent_id, invoice_id, made)

    def reset_billing_cycle(self, subscription_id: str, key: str) -> SubscriptionSnapshot:
        params: SubscriptionUpdateParams = {"billing_cycle_anchor": {"type": "now"}, "proration_behavior": "create_prorations"}
        sub = self.client.v1.subscriptions.update(
            subscription_id, params=params,
            options=self._on("reset-billing-cycle", subscription_id, key),
        )
        return subscription_snapshot(sub)

    def pause_subscription(self, subscription_id: str, key: str) -> SubscriptionSnapshot:
        """X1: Stripe's Pause (status ``paused``, no invoices); the unused time is credited to the resume invoice."""
        params: SubscriptionPauseParams = {"bill_for": {"unused_time_from": {"type": "now"},
                                                        "outstanding_usage_through": {"type": "none"}},
                                           "invoicing_behavior": "pending_invoice_item"}
        sub = self.client.v1.subscriptions.pause(subscription_id, params=params,
                                                 options=self._on("pause", subscription_id, key))
        return subscription_snapshot(sub)

    def resume_subscription(self, subscription_id: str, key: str) -> SubscriptionSnapshot:
        """X1: resume with a new billing cycle from today, so billing dates move by the paused days."""
        params: SubscriptionResumeParams = {"billing_cycle_anchor": {"type": "now"}}
        sub = self.client.v1.subscriptions.resume(subscription_id, params=params,
                                                  options=self._on("resume", subscription_id, key))
        return subscription_snapshot(sub)

    def portal_url(self, customer_id: str, return_url: str) -> str:
        session = self.client.v1.billing_portal.sessions.create(
            params={"customer": customer_id, "return_url": return_url},
            # B5: a fresh session every time the booker asks (no idempotency key: never a replayed one).
            options=self._on(),
        )
        return session.url

    def redact_customer(self, customer_id: str, erased_as: str) -> None:
        from stripe import InvalidRequestError

        # The email is unset, not replaced: Stripe validates addresses, and ``.invalid`` may be refused (a
        # stage that can never succeed would retry for ever); the pseudonym goes in metadata for staff.
        params: CustomerUpdateParams = {"name": "", "email": "", "phone": "", "address": "", "shipping": "",
                                        "metadata": {"erased": "true", "erased_as": erased_as}}
        try:
            self.client.v1.customers.update(customer_id, params=params,
                                            options=self._on("redact-customer", customer_id, erased_as))
        except InvalidRequestError as exc:
            if exc.code != "resource_missing":
                raise  # a customer deleted on Stripe holds nothing to redact; anything else is retried

    def dashboard_url(self, kind: Literal["products", "prices", "subscriptions", "customers"], object_id: str) -> str:
        """Into the connected account's own dashboard (the business works there: refunds, cycles, cancels)."""
        if self.api_base:  # the local provider has its own read-only dashboard pages
            return f"{self.api_base}/dashboard/{self.account}/{kind}/{object_id}"
        mode = "test/" if self.api_key.startswith(("sk_test", "rk_test")) else ""
        return f"https://dashboard.stripe.com/{self.account}/{mode}{kind}/{object_id}"
