"""The consumer of Stripe events from the queue: route by account, dedupe, then a table from type to handler.

Connect (T5): every event names the connected ``account`` it happened on; that account, looked up
in the businesses' index, is the only thing that decides which business an event may touch. An
event whose metadata names another business is ignored; events of unknown or disconnected accounts
and of the other mode (``livemode``) are acknowledged, logged and ignored. Dedupe is per (account,
event id): ledger rows written before Connect (keyed by event id alone) stay as they are.

Each event is parsed once into a typed ``ProviderEvent`` that the handlers share. Exactly once *in
effect*: the event id is claimed with one conditional put before handling (the ledger keeps ids 35
days, far past Stripe's 3-day retries) and released if handling fails, so SQS retries it; a claim
left by an invocation that died expires after ``CLAIM_LEASE``, and every handler is safe to run
again (conditional writes, the email ledger). Order does not matter: subscription and invoice events
re-read the subscription from the provider and apply that (``MembershipLifecycle``). Unknown types
are logged and acknowledged.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..domain.errors import InvalidInputError
from ..domain.money import format_money
from ..domain.tenancy import StripeConnection
from ..logs import logger
from ..ports.clock import Clock, utc_now

if TYPE_CHECKING:
    from ..domain.memberships import MemberRecord
    from ..domain.tenancy import Business
    from ..ports.memberships import MembershipStore, MemberStore, ProcessedEventLedger
    from ..ports.messaging import EventQueuePort, MailerPort
    from ..ports.payments import BusinessPayments, CheckoutHandler, CompletedCheckout, EventParser, ProviderEvent
    from .membership_lifecycle import MembershipLifecycle
    from .payment_records import PaymentRecords
    from .stripe_connect import StripeConnect

FANOUT_PAGE = 25
ReleaseCheckout = Callable[[str, str], None]
RELEASING_PURPOSES = ("membership", "booking", "course")  # checkouts that hold places (a basket, a card ticket, a course)


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"queue message field '{name}' is missing", field=name)
    return value


class StripeEventConsumer:
    def __init__(
        self,
        processed: ProcessedEventLedger,
        lifecycle: MembershipLifecycle,
        release_checkout: ReleaseCheckout,
        membership_repo: MembershipStore,
        members: MemberStore,
        checkout_handlers: dict[str, CheckoutHandler],
        payments: BusinessPayments,
        mailer: Callable[[], MailerPort],
        queue: Callable[[], EventQueuePort],
        *,
        parse: EventParser,
        connect: Callable[[], StripeConnect],
        livemode: bool,
        clock: Clock = utc_now,
        payment_records: PaymentRecords | None = None,
    ) -> None:
        self.payment_records = payment_records  # B6: each paid checkout and invoice on the customer's record
        self.processed = processed
        self.lifecycle = lifecycle
        self.release_checkout = release_checkout
        self.membership_repo = membership_repo
        self.members = members
        self.checkout_handlers = checkout_handlers
        self.payments = payments
        self.mailer = mailer
        self.queue = queue
        self.parse = parse
        self.connect = connect
        self.livemode = livemode
        self.clock = clock
        self.dispatch: dict[str, Callable[[ProviderEvent, Business], None]] = {
            "account.application.deauthorized": self.deauthorized,
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
            "charge.refunded": self.charge_refunds,
            "charge.refund.updated": self.charge_refunds,
            "refund.created": self.charge_refunds,
            "refund.updated": self.charge_refunds,
            "refund.failed": self.charge_refunds,
        }

    # --- queue handlers -------------------------------------------------------------------------

    def handle(self, body: dict[str, Any]) -> None:
        """``queue_handlers["stripe_event"]``: body is the verified event JSON."""
        event = self.parse(body)
        business = self.business_of(event)
        if business is None:
            return
        handler = self.dispatch.get(event.type)
        if handler is None:
            logger.info("stripe event type not handled; acknowledged", extra={"event_type": event.type})
        key = f"{event.account}:{event.event_id}"
        if not self.processed.claim(key, event.type, self.clock()):
            logger.info("stripe event already processed", extra={"event_id": event.event_id, "account": event.account})
            return
        if handler is None:
            return
        logger.append_keys(stripe_event_id=event.event_id, stripe_event_type=event.type, business_id=business.business_id)
        try:
            handler(event, business)
        except BaseException:
            self.processed.release(key)  # the retry applies it
            raise

    def business_of(self, event: ProviderEvent) -> Business | None:
        """The business the event's account belongs to, or None (acknowledged and ignored, logged)."""
        why, business = None, None
        if event.livemode != self.livemode:
            why = "event of the other mode (livemode)"
        elif not event.account:
            why = "event names no connected account"
        else:
            business = self.connect().business_of_account(event.account)
            if business is None:
                why = "event of an unknown account"
            elif (business.stripe_connection is not StripeConnection.CONNECTED
                  and event.type != "account.application.deauthorized"):
                why, business = "event of a disconnected account", None
        if why:
            logger.warning(f"stripe {why}; acknowledged and ignored",
                           extra={"event_id": event.event_id, "event_type": event.type, "account": event.account,
                                  "livemode": event.livemode})
        return business

    def price_changed_batch(self, body: dict[str, Any]) -> None:
        """``queue_handlers["price_changed_member_batch"]``: one page of members, then the next page's message."""
        event_id, price_id, cursor = _text(body, "event_id"), _text(body, "price_id"), body.get("cursor")
        keys, after = self.members.page_by_price(price_id, cursor, FANOUT_PAGE)
        if after:  # first hand the rest on, so a failure below does not stop the fan-out
            self.queue().send("price_changed_member_batch", {"event_id": event_id, "price_id": price_id, "cursor": after})
        records = [r for r in self.members.find_many(keys) if self.lifecycle.access(r)]
        memberships = {(r.business_id, r.membership_id) for r in records}
        by_id = {key: self.membership_repo.get_recent(*key) for key in memberships}
        for record in records:
            membership = by_id[(record.business_id, record.membership_id)]
            option = membership.option_by_price(price_id)
            context = self.lifecycle.context(membership, record)
            if option:
                context.update(option_title=option.title, amount=format_money(option.amount_minor, option.currency))
            self.mailer().send_once(event_id, "price_changed", record.email, context)

    def period_end(self, body: dict[str, Any]) -> None:
        """``queue_handlers["membership_period_end"]``: the safety net for one member."""
        self.lifecycle.expire(_text(body, "business_id"), _text(body, "subscription_id"))

    # --- event handlers -------------------------------------------------------------------------

    def deauthorized(self, event: ProviderEvent, business: Business) -> None:
        self.connect().deauthorized(business, f"{event.account}:{event.event_id}")

    def log_only(self, event: ProviderEvent, business: Business) -> None:
        logger.info("stripe event recorded", extra={"object_id": event.object_id, "business_id": business.business_id})

    def _checkout_of(self, event: ProviderEvent, business: Business) -> CompletedCheckout | None:
        done = event.checkout
        if done is not None and done.business_id != business.business_id:
            logger.warning("checkout metadata names another business than its account's; ignored",
                           extra={"session_id": event.object_id, "metadata_business_id": done.business_id})
            return None
        return done

    def checkout_completed(self, event: ProviderEvent, business: Business) -> None:
        if not event.checkout_paid:
            logger.info("checkout completed, payment pending (async)", extra={"session_id": event.object_id})
            return
        done = self._checkout_of(event, business)
        handler = self.checkout_handlers.get(done.purpose) if done else None
        if done is None or handler is None:
            logger.warning("checkout with no handler for its purpose; acknowledged",
                           extra={"purpose": done.purpose if done else None})
            return
        if self.payment_records is not None:
            self.payment_records.checkout_paid(done, event.created)
        handler(done)

    def checkout_released(self, event: ProviderEvent, business: Business) -> None:
        done = self._checkout_of(event, business)
        if done is not None and done.purpose in RELEASING_PURPOSES and done.reference:
            self.release_checkout(done.business_id, done.reference)

    def subscription_changed(self, event: ProviderEvent, business: Business) -> None:
        if event.subscription_id:
            self.lifecycle.sync(business.business_id, event.subscription_id,
                                likely_new=event.type == "customer.subscription.created")

    def _invoice_member(self, event: ProviderEvent, business: Business) -> MemberRecord | None:
        return self.lifecycle.sync(business.business_id, event.subscription_id) if event.subscription_id else None

    def invoice_paid(self, event: ProviderEvent, business: Business) -> None:
        invoice, record = event.invoice, self._invoice_member(event, business)
        if invoice is not None and record is not None and self.payment_records is not None:
            self.payment_records.invoice_paid(business.business_id, invoice, record.email, record.membership_id,
                                              event.created)
        if invoice is None or record is None or invoice.billing_reason != "subscription_cycle":
            return  # the first invoice is confirmed by the checkout's own email
        membership = self.membership_repo.get_recent(record.business_id, record.membership_id)
        context = self.lifecycle.context(membership, record)
        context.update(amount=format_money(invoice.amount_paid, invoice.currency), invoice_url=invoice.hosted_invoice_url)
        self.mailer().send_once(invoice.invoice_id, "membership_renewed", record.email, context)

    def invoice_failed(self, event: ProviderEvent, business: Business) -> None:
        record = self._invoice_member(event, business)
        if record is None or event.invoice is None:
            return
        current = self.payments.for_business(business.business_id).retrieve_invoice(event.invoice.invoice_id)
        if current.status in ("paid", "void"):
            return  # a late event: the invoice was paid (or voided) meanwhile
        membership = self.membership_repo.get_recent(record.business_id, record.membership_id)
        context = self.lifecycle.context(membership, record)
        context.update(amount=format_money(current.amount_due, current.currency), invoice_url=current.hosted_invoice_url,
                       action_required=event.type == "invoice.payment_action_required")
        self.mailer().send_once(f"{current.invoice_id}#{current.attempt_count}", "payment_failed", record.email, context)

    def charge_refunds(self, event: ProviderEvent, business: Business) -> None:
        """B6: refunds, the dashboard's too: re-read the charge's refunds on the business's account and record them."""
        if event.charge_id is None or self.payment_records is None:
            return
        charge = self.payments.for_business(business.business_id).charge_refunds(event.charge_id)
        self.payment_records.charge_refunds(business.business_id, charge)

    def price_updated(self, event: ProviderEvent, business: Business) -> None:
        """A price changed in Stripe: update the option, then tell every member on it, page by page."""
        price = event.price
        membership = self.membership_repo.by_product(price.product_id) if price and price.product_id else None
        if membership is not None and membership.business_id != business.business_id:
            membership = None  # a product id of another account: never touch another business
        option = membership.option_by_price(price.price_id) if membership and price else None
        if price is None or membership is None or option is None:
            return
        interval = price.interval if price.interval != "day" else option.interval
        updated = replace(option, title=price.title or option.title, amount_minor=price.amount_minor,
                          currency=price.currency or option.currency, interval=interval,
                          interval_count=price.interval_count, active=price.active)
        self.membership_repo.save(replace(membership, options=tuple(
            updated if o.option_id == option.option_id else o for o in membership.options)))
        if (updated.amount_minor, updated.currency, updated.interval, updated.interval_count) != (
                option.amount_minor, option.currency, option.interval, option.interval_count):
            self.queue().send("price_changed_member_batch", {"event_id": event.event_id, "price_id": price.price_id,
                                                             "cursor": None})

    def product_updated(self, event: ProviderEvent, business: Business) -> None:
        product = event.product
        membership = self.membership_repo.by_product(product.product_id) if product else None
        if product is None or membership is None or membership.business_id != business.business_id:
            return
        title, description = product.name or membership.title, product.description
        if (title, description) != (membership.title, membership.description):
            self.membership_repo.save(replace(membership, title=title, description=description))
