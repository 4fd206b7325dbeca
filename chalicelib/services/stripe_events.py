"""The consumer of Stripe events from the queue: dedupe by event id, then a table from type to handler.

Exactly once *in effect*: an event id already applied is skipped (the ledger keeps ids 35 days,
far past Stripe's 3-day retries); an event whose handling failed is not marked, so SQS retries
it, and every handler is safe to run again (conditional writes, the email ledger). Order does not
matter: subscription and invoice events re-read the subscription from the provider and apply that
(see ``MembershipLifecycle``). Unknown types are logged and acknowledged.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..adapters.dynamodb.memberships import MemberRepository, MembershipRepository, ProcessedEvents
from ..adapters.event_queue import EventQueue
from ..domain.memberships import MemberRecord
from ..logs import logger
from ..ports.clock import Clock, utc_now
from ..ports.payments import CheckoutHandler, CompletedCheckout, PaymentPort
from ..schemas.memberships import MemberPeriodEnd, PriceChangedBatch, StripeEvent
from .emails import Mailer
from .membership_lifecycle import MembershipLifecycle, money
from .memberships import MembershipService

FANOUT_PAGE = 25
PAID = ("paid", "no_payment_required")


def _id(value: Any) -> str | None:
    """Stripe fields that hold an id, or the expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def invoice_subscription(invoice: dict[str, Any]) -> str | None:
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    return _id(details.get("subscription")) or _id(invoice.get("subscription"))


class StripeEventConsumer:
    def __init__(
        self,
        processed: ProcessedEvents,
        lifecycle: MembershipLifecycle,
        memberships: MembershipService,
        membership_repo: MembershipRepository,
        members: MemberRepository,
        checkout_handlers: dict[str, CheckoutHandler],
        payments: Callable[[], PaymentPort],
        mailer: Callable[[], Mailer],
        queue: Callable[[], EventQueue],
        clock: Clock = utc_now,
    ) -> None:
        self.processed = processed
        self.lifecycle = lifecycle
        self.memberships = memberships
        self.membership_repo = membership_repo
        self.members = members
        self.checkout_handlers = checkout_handlers
        self.payments = payments
        self.mailer = mailer
        self.queue = queue
        self.clock = clock
        self.dispatch: dict[str, Callable[[StripeEvent], None]] = {
            "checkout.session.completed": self.checkout_completed,
            "checkout.session.async_payment_succeeded": self.checkout_completed,
            "checkout.session.async_payment_failed": self.checkout_released,
            "checkout.session.expired": self.checkout_released,
            "customer.subscription.created": self.subscription_changed,
            "customer.subscription.updated": self.subscription_changed,
            "customer.subscription.deleted": self.subscription_changed,
            "customer.subscription.paused": self.subscription_changed,
            "customer.subscription.resumed": self.subscription_changed,
            "invoice.paid": self.invoice_paid,
            "invoice.payment_failed": self.invoice_failed,
            "invoice.payment_action_required": self.invoice_failed,
            "invoice.upcoming": self.log_only,
            "price.updated": self.price_updated,
            "product.updated": self.product_updated,
            "charge.refunded": self.log_only,
        }

    # --- queue handlers -------------------------------------------------------------------------

    def handle(self, body: dict[str, Any]) -> None:
        """``queue_handlers["stripe_event"]``: body is the verified event JSON."""
        event = StripeEvent.model_validate(body)
        if self.processed.seen(event.id):
            logger.info("stripe event already processed", extra={"event_id": event.id})
            return
        handler = self.dispatch.get(event.type)
        if handler is None:
            logger.info("stripe event type not handled; acknowledged", extra={"event_type": event.type})
        else:
            logger.append_keys(stripe_event_id=event.id, stripe_event_type=event.type)
            handler(event)
        self.processed.mark(event.id, event.type, self.clock())

    def price_changed_batch(self, body: dict[str, Any]) -> None:
        """``queue_handlers["price_changed_member_batch"]``: one page of members, then the next page's message."""
        batch = PriceChangedBatch.model_validate(body)
        keys, cursor = self.members.page_by_price(batch.price_id, batch.cursor, FANOUT_PAGE)
        if cursor:  # first hand the rest on, so a failure below does not stop the fan-out
            self.queue().send("price_changed_member_batch", {**batch.model_dump(), "cursor": cursor})
        for business_id, subscription_id in keys:
            record = self.members.find(business_id, subscription_id)
            if record is None or not self.lifecycle.access(record):
                continue
            membership = self.membership_repo.get(business_id, record.membership_id)
            option = membership.option_by_price(batch.price_id)
            context = self.lifecycle.context(membership, record)
            if option:
                context.update(option_title=option.title, amount=money(option.amount_minor, option.currency))
            self.mailer().send_once(batch.event_id, "price_changed", record.email, context)

    def period_end(self, body: dict[str, Any]) -> None:
        """``queue_handlers["membership_period_end"]``: the safety net for one member."""
        msg = MemberPeriodEnd.model_validate(body)
        self.lifecycle.expire(msg.business_id, msg.subscription_id)

    # --- event handlers -------------------------------------------------------------------------

    def log_only(self, event: StripeEvent) -> None:
        logger.info("stripe event recorded", extra={"object_id": event.data.object.get("id")})

    def checkout_completed(self, event: StripeEvent) -> None:
        session = event.data.object
        if session.get("payment_status") not in PAID:
            logger.info("checkout completed, payment pending (async)", extra={"session_id": session.get("id")})
            return
        md = {str(k): str(v) for k, v in (session.get("metadata") or {}).items()}
        purpose = md.get("purpose", "")
        handler = self.checkout_handlers.get(purpose)
        if handler is None or not md.get("business_id"):
            logger.warning("checkout with no handler for its purpose; acknowledged", extra={"purpose": purpose})
            return
        details = session.get("customer_details") or {}
        handler(CompletedCheckout(
            session_id=session["id"],
            business_id=md["business_id"],
            customer_email=md.get("customer_email") or details.get("email") or session.get("customer_email") or "",
            purpose=purpose,
            reference=md.get("reference") or session.get("client_reference_id") or "",
            metadata=md,
            amount_total=int(session.get("amount_total") or 0),
            currency=str(session.get("currency") or ""),
            provider_customer_id=_id(session.get("customer")),
            subscription_id=_id(session.get("subscription")),
            payment_intent_id=_id(session.get("payment_intent")),
            invoice_id=_id(session.get("invoice")),
        ))

    def checkout_released(self, event: StripeEvent) -> None:
        md = event.data.object.get("metadata") or {}
        if md.get("purpose") == "membership" and md.get("business_id") and md.get("reference"):
            self.memberships.release_checkout(md["business_id"], md["reference"])

    def subscription_changed(self, event: StripeEvent) -> None:
        self.lifecycle.sync(event.data.object["id"])

    def _invoice_member(self, event: StripeEvent) -> tuple[dict[str, Any], MemberRecord | None]:
        invoice = event.data.object
        subscription_id = invoice_subscription(invoice)
        return invoice, self.lifecycle.sync(subscription_id) if subscription_id else None

    def invoice_paid(self, event: StripeEvent) -> None:
        invoice, record = self._invoice_member(event)
        if record is None or invoice.get("billing_reason") != "subscription_cycle":
            return  # the first invoice is confirmed by the checkout's own email
        membership = self.membership_repo.get(record.business_id, record.membership_id)
        context = self.lifecycle.context(membership, record)
        context.update(amount=money(int(invoice.get("amount_paid") or 0), str(invoice.get("currency") or "")),
                       invoice_url=invoice.get("hosted_invoice_url"))
        self.mailer().send_once(invoice["id"], "membership_renewed", record.email, context)

    def invoice_failed(self, event: StripeEvent) -> None:
        invoice, record = self._invoice_member(event)
        if record is None:
            return
        current = self.payments().retrieve_invoice(invoice["id"])
        if current.status in ("paid", "void"):
            return  # a late event: the invoice was paid (or voided) meanwhile
        membership = self.membership_repo.get(record.business_id, record.membership_id)
        context = self.lifecycle.context(membership, record)
        context.update(amount=money(current.amount_due, current.currency), invoice_url=current.hosted_invoice_url,
                       action_required=event.type == "invoice.payment_action_required")
        self.mailer().send_once(f"{current.invoice_id}#{current.attempt_count}", "payment_failed", record.email, context)

    def price_updated(self, event: StripeEvent) -> None:
        """A price changed in Stripe: update the option, then tell every member on it, page by page."""
        price = event.data.object
        product_id = _id(price.get("product"))
        membership = self.membership_repo.by_product(product_id) if product_id else None
        option = membership.option_by_price(price["id"]) if membership else None
        if membership is None or option is None:
            return
        recurring = price.get("recurring") or {}
        updated = replace(
            option, title=price.get("nickname") or option.title, amount_minor=int(price.get("unit_amount") or 0),
            currency=str(price.get("currency") or option.currency).upper(), interval=recurring.get("interval"),
            interval_count=int(recurring.get("interval_count") or 1), active=bool(price.get("active", True)),
        )
        self.membership_repo.save(replace(membership, options=tuple(
            updated if o.option_id == option.option_id else o for o in membership.options)))
        if (updated.amount_minor, updated.currency, updated.interval, updated.interval_count) != (
                option.amount_minor, option.currency, option.interval, option.interval_count):
            self.queue().send("price_changed_member_batch", PriceChangedBatch(event_id=event.id, price_id=price["id"]).model_dump())

    def product_updated(self, event: StripeEvent) -> None:
        product = event.data.object
        membership = self.membership_repo.by_product(product["id"])
        if membership is None:
            return
        title, description = product.get("name") or membership.title, product.get("description") or ""
        if (title, description) != (membership.title, membership.description):
            self.membership_repo.save(replace(membership, title=title, description=description))
