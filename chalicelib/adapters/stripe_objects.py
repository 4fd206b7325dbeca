"""Stripe's objects read into the payment port's types: events, subscriptions, invoices, checkouts.

Pure dict reading (no stripe import): the events consumer parses an event without loading the SDK, and
the adapter (``stripe_payments.py``) turns what it fetched into the same snapshots.
"""
from __future__ import annotations

import hashlib
from typing import Any

from ..domain.errors import InvalidInputError
from ..ports.payments import (
    CompletedCheckout,
    InvoiceSnapshot,
    PriceChange,
    ProductChange,
    ProviderEvent,
    SubscriptionSnapshot,
)


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
