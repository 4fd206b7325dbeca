"""The payments record of each customer (B6): what Stripe's events and our own refunds write, what staff read.

Written from the events (a paid checkout in payment mode is a charge keyed by its payment intent; a
membership's invoices, the first one and each renewal, are keyed by the invoice id) and from the
refunds the app itself asks Stripe for (B3 cancellations, late payments for a place already gone, B4
duplicate subscriptions, staff ``cancel-now`` with refund), keyed by the refund id. Every write is
one conditional put, so a redelivered event or a retried handler leaves one row per Stripe object.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..domain.emails import normalise_email
from ..domain.errors import TransactionContendedError
from ..domain.memberships import HistoryItem
from ..domain.paging import PageRequest
from ..domain.payments import PaymentKind, PaymentRecord, PaymentState
from ..logs import logger
from ..ports.clock import Clock, utc_now
from ..ports.payments import RefundMade

if TYPE_CHECKING:
    from ..domain.context import StaffContext
    from ..domain.paging import Page
    from ..ports.payment_records import PaymentRecordStore
    from ..ports.payments import ChargeRefunds, CompletedCheckout, InvoiceSnapshot

HISTORY_PAYMENTS = 50  # a member's view shows the newest this many payments of the subscription
REFUND_ATTEMPTS = 3


def _at(unix: int | None, fallback: datetime) -> datetime:
    return datetime.fromtimestamp(unix, UTC) if unix else fallback


class PaymentRecords:
    def __init__(self, store: PaymentRecordStore, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock

    # --- written from Stripe's events ---------------------------------------------------------------

    def checkout_paid(self, done: CompletedCheckout, created: int | None = None) -> None:
        """A paid checkout: its charge (payment mode) or its subscription's first invoice."""
        email = normalise_email(done.customer_email or "") or done.customer_email
        at = _at(created, self.clock())
        booking_id = done.metadata.get("booking_id")
        common = dict(business_id=done.business_id, email=email, purpose=done.purpose, amount_minor=done.amount_total,
                      currency=done.currency.upper(), at=at, checkout_session_id=done.session_id,
                      payment_intent_id=done.payment_intent_id, invoice_id=done.invoice_id,
                      booking_ids=(booking_id,) if booking_id else (), pass_product_id=done.metadata.get("product_id"),
                      membership_id=done.metadata.get("membership_id"))
        if done.subscription_id:
            if not done.invoice_id:
                return  # its invoice.paid event records the first invoice
            record = PaymentRecord(payment_id=done.invoice_id, kind=PaymentKind.INVOICE,
                                   subscription_id=done.subscription_id, **common)  # type: ignore[arg-type]
        else:
            payment_id = done.payment_intent_id or done.invoice_id or done.session_id
            record = PaymentRecord(payment_id=payment_id, kind=PaymentKind.CHARGE, **common)  # type: ignore[arg-type]
        self.store.add(record)

    def invoice_paid(self, business_id: str, invoice: InvoiceSnapshot, email: str, membership_id: str,
                     created: int | None = None) -> None:
        """A membership invoice paid (the first or a renewal); nothing for an invoice of nothing."""
        if invoice.amount_paid <= 0 or not invoice.subscription_id:
            return
        self.store.add(PaymentRecord(
            business_id, invoice.invoice_id, email, PaymentKind.INVOICE, "membership", invoice.amount_paid,
            invoice.currency.upper(), _at(created, self.clock()), invoice_id=invoice.invoice_id,
            subscription_id=invoice.subscription_id, membership_id=membership_id))

    # --- the refunds the app makes ------------------------------------------------------------------

    def refunded(self, business_id: str, email: str, refund: RefundMade, of: tuple[str | None, ...], purpose: str,
                 *, subscription_id: str | None = None, membership_id: str | None = None,
                 booking_ids: tuple[str, ...] = ()) -> bool:
        """Record ``refund`` against the first recorded payment among the ids ``of`` (its row's state follows);
        False when it stayed contended (logged: the app's own refund is not retried, an event's is)."""
        for _ in range(REFUND_ATTEMPTS):
            original = next((r for r in (self.store.find(business_id, i) for i in of if i) if r is not None), None)
            row = PaymentRecord(
                business_id, refund.refund_id, original.email if original else email, PaymentKind.REFUND,
                original.purpose if original else purpose, refund.amount_minor, refund.currency, self.clock(),
                state=PaymentState.FAILED if refund.failed else PaymentState.SUCCEEDED, refund_id=refund.refund_id, payment_intent_id=refund.payment_intent_id,
                invoice_id=original.invoice_id if original else None,
                subscription_id=(original.subscription_id if original else None) or subscription_id,
                refund_of=original.payment_id if original else None,
                booking_ids=booking_ids or (original.booking_ids if original else ()),
                membership_id=(original.membership_id if original else None) or membership_id)
            try:
                self.store.add_refund(row, original)
                return True
            except TransactionContendedError:
                continue  # another refund of the same payment landed first: read it again
        logger.warning("refund could not be recorded", extra={"refund_id": refund.refund_id})
        return False

    def refundable(self, business_id: str, of: tuple[str | None, ...], amount_minor: int) -> int:
        """At most what is left of the recorded payment (a dashboard refund may have given part back already)."""
        paid = next((r for r in (self.store.find(business_id, i) for i in of if i) if r is not None), None)
        return amount_minor if paid is None else max(0, min(amount_minor, paid.amount_minor - paid.refunded_minor))

    def refund_refused(self, business_id: str, email: str, key: str, amount_minor: int, currency: str,
                       of: tuple[str | None, ...], purpose: str, *, booking_ids: tuple[str, ...] = ()) -> None:
        """A refund the provider refused outright (an error, so no refund id): a ``failed`` row kept under the
        app's own refund key, so staff see what was owed and settle it by hand; the payment keeps its state."""
        refused = RefundMade(f"refused:{key}", amount_minor, currency.upper(), next((i for i in of if i), None),
                             status="failed")
        self.refunded(business_id, email, refused, of, purpose, booking_ids=booking_ids)

    # --- refunds as Stripe has them (the dashboard's among them) ------------------------------------

    def charge_refunds(self, business_id: str, charge: ChargeRefunds) -> None:
        """Every refund of a charge, as re-read from the provider: one row per refund id, whoever made it (a
        refund the app made is already there under its id) and however often or in whatever order the events
        come; a refund that failed after it was recorded turns ``failed`` and its payment gets the amount back."""
        of = (charge.payment_intent_id, charge.invoice_id)
        if not any(self.store.find(business_id, i) for i in of if i):
            logger.info("refunds of a charge with no recorded payment; not recorded", extra={"charge_id": charge.charge_id})
            return
        for refund in charge.refunds:
            known = self.store.find(business_id, refund.refund_id)
            if known is None:
                if not self.refunded(business_id, "", refund, of, ""):
                    raise TransactionContendedError("Refunds of this charge are being recorded meanwhile; retry.")
            elif refund.failed and known.state is not PaymentState.FAILED:
                self._refund_failed(known)

    def _refund_failed(self, refund: PaymentRecord) -> None:
        for _ in range(REFUND_ATTEMPTS):
            paid = self.store.find(refund.business_id, refund.refund_of) if refund.refund_of else None
            try:
                self.store.refund_failed(refund, paid)
                return
            except TransactionContendedError:
                now = self.store.find(refund.business_id, refund.payment_id)
                if now is None:
                    break
                refund = now
        raise TransactionContendedError("This refund or its payment is being changed meanwhile; retry.")

    # --- read by staff ----------------------------------------------------------------------------

    def for_customer(self, ctx: StaffContext, email: str, page: PageRequest) -> Page[PaymentRecord]:
        return self.store.for_customer(ctx.business_id, email, page)

    def history_of(self, business_id: str, subscription_id: str) -> tuple[HistoryItem, ...]:
        """A membership subscription's invoices and refunds, as lines of its history."""
        page = self.store.for_subscription(business_id, subscription_id, PageRequest(limit=HISTORY_PAYMENTS))
        return tuple(HistoryItem(r.at, r.describe()) for r in page.items)
