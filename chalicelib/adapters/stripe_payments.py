"""The payment port on Stripe (``StripeClient``), typed with stripe-python's own params (mypy-checked).

Every POST carries a deterministic idempotency key built from what it does, so a retried Lambda or
a redelivered message never creates a second product, price, checkout, refund or cancellation.
The local payment provider (``local/payment_provider.py``) speaks the same HTTP API, so this exact
code also runs in the local stack (``STRIPE_API_BASE``).
"""
from __future__ import annotations

import hashlib
import time
import urllib.request
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from ..domain.errors import InvalidInputError, PaymentsUnavailableError
from ..ports.payments import (
    ChargeRefunds,
    CheckoutRequest,
    CheckoutSession,
    CompletedCheckout,
    ConnectedAccount,
    InvoiceSnapshot,
    PriceChange,
    ProductChange,
    ProviderEvent,
    RecurringPrice,
    RefundMade,
    SubscriptionSnapshot,
)

if TYPE_CHECKING:
    from stripe import RequestOptions, StripeClient
    from stripe.params import (
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


def idempotency_key(*parts: object) -> str:
    """Same operation, same arguments → same key (Stripe keeps keys for at least 24 hours)."""
    raw = "|".join(str(p) for p in parts)
    return hashlib.sha256(raw.encode()).hexdigest()[:48]


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _ref(value: Any) -> str | None:
    """A field holding an id, or the expanded object."""
    if isinstance(value, dict):
        return str(value["id"])
    return str(value) if value is not None else None


def plain(obj: Any) -> dict[str, Any]:
    """A Stripe object as a plain dict (StripeObject refuses ``.get`` and iteration)."""
    return obj if isinstance(obj, dict) else dict(obj.to_dict())


def subscription_snapshot(obj: Any) -> SubscriptionSnapshot:
    """From a Stripe subscription (object or dict). Periods live on the items (API 2025+)."""
    sub = plain(obj)
    items = (sub.get("items") or {}).get("data") or []
    item = items[0] if items else None
    return SubscriptionSnapshot(
        subscription_id=sub["id"],
        status=sub["status"],
        customer_id=_ref(sub.get("customer")),
        cancel_at_period_end=bool(sub.get("cancel_at_period_end")),
        current_period_start=_int(item.get("current_period_start")) if item else None,
        current_period_end=_int(item.get("current_period_end")) if item else None,
        price_id=_ref(item.get("price")) if item else None,
        metadata={str(k): str(v) for k, v in (sub.get("metadata") or {}).items()},
        start_date=_int(sub.get("start_date")),
        billing_cycle_anchor=_int(sub.get("billing_cycle_anchor")),
        canceled_at=_int(sub.get("canceled_at")),
        cancel_at=_int(sub.get("cancel_at")),
        ended_at=_int(sub.get("ended_at")),
        latest_invoice_id=_ref(sub.get("latest_invoice")),
    )


def invoice_snapshot(obj: Any) -> InvoiceSnapshot:
    inv = plain(obj)
    return InvoiceSnapshot(
        invoice_id=inv["id"],
        status=inv.get("status"),
        subscription_id=_invoice_subscription(inv),
        amount_paid=int(inv.get("amount_paid") or 0),
        amount_due=int(inv.get("amount_due") or 0),
        currency=str(inv.get("currency") or ""),
        billing_reason=inv.get("billing_reason"),
        attempt_count=int(inv.get("attempt_count") or 0),
        hosted_invoice_url=inv.get("hosted_invoice_url"),
        invoice_pdf=inv.get("invoice_pdf"),
        customer_email=inv.get("customer_email"),
    )


PAID = ("paid", "no_payment_required")


def _checkout(session: dict[str, Any]) -> CompletedCheckout | None:
    md = {str(k): str(v) for k, v in (session.get("metadata") or {}).items()}
    if not md.get("business_id") or not session.get("id"):
        return None
    details = session.get("customer_details") or {}
    return CompletedCheckout(
        session_id=str(session["id"]),
        business_id=md["business_id"],
        customer_email=md.get("customer_email") or details.get("email") or session.get("customer_email") or "",
        purpose=md.get("purpose", ""),
        reference=md.get("reference") or session.get("client_reference_id") or "",
        metadata=md,
        amount_total=int(session.get("amount_total") or 0),
        currency=str(session.get("currency") or ""),
        provider_customer_id=_ref(session.get("customer")),
        subscription_id=_ref(session.get("subscription")),
        payment_intent_id=_ref(session.get("payment_intent")),
        invoice_id=_ref(session.get("invoice")),
    )


def _invoice_subscription(inv: dict[str, Any]) -> str | None:
    details = ((inv.get("parent") or {}).get("subscription_details")) or {}
    return _ref(details.get("subscription")) or _ref(inv.get("subscription"))


def parse_event(body: dict[str, Any]) -> ProviderEvent:
    """A verified Stripe event as one typed envelope (``InvalidInputError`` when it is not one)."""
    data = body.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    event_id, kind, created = body.get("id"), body.get("type"), body.get("created")
    if not (isinstance(event_id, str) and event_id and isinstance(kind, str) and kind
            and isinstance(created, int) and isinstance(obj, dict)):
        raise InvalidInputError("not a Stripe event: id, type, created and data.object are required")
    family = kind.split(".")[0]
    parts: dict[str, Any] = {}
    if kind.startswith("checkout.session."):
        parts.update(checkout=_checkout(obj), checkout_paid=obj.get("payment_status") in PAID)
    elif kind.startswith("customer.subscription."):
        parts.update(subscription_id=_ref(obj.get("id")))
    elif family == "invoice" and obj.get("id"):
        parts.update(invoice=invoice_snapshot(obj), subscription_id=_invoice_subscription(obj))
    elif family == "price" and obj.get("id"):
        recurring = obj.get("recurring") or {}
        parts.update(price=PriceChange(
            price_id=str(obj["id"]), product_id=_ref(obj.get("product")), title=obj.get("nickname"),
            amount_minor=int(obj.get("unit_amount") or 0),
            currency=str(obj["currency"]).upper() if obj.get("currency") else None,
            interval=recurring.get("interval"), interval_count=int(recurring.get("interval_count") or 1),
            active=bool(obj.get("active", True))))
    elif family == "charge" or family == "refund":  # charge.refunded, charge.refund.updated, refund.*
        parts.update(charge_id=_ref(obj.get("id") if obj.get("object") == "charge" else obj.get("charge")))
    elif family == "product" and obj.get("id"):
        parts.update(product=ProductChange(str(obj["id"]), obj.get("name"), obj.get("description") or ""))
    account = body.get("account")
    return ProviderEvent(event_id, kind, created, _ref(obj.get("id")), raw=obj,
                         account=account if isinstance(account, str) and account else None,
                         livemode=bool(body.get("livemode")), **parts)


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

    def dashboard_url(self, kind: Literal["products", "prices", "subscriptions", "customers"], object_id: str) -> str:
        """Into the connected account's own dashboard (the business works there: refunds, cycles, cancels)."""
        if self.api_base:  # the local provider has its own read-only dashboard pages
            return f"{self.api_base}/dashboard/{self.account}/{kind}/{object_id}"
        mode = "test/" if self.api_key.startswith(("sk_test", "rk_test")) else ""
        return f"https://dashboard.stripe.com/{self.account}/{mode}{kind}/{object_id}"
