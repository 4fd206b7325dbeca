"""Paying for a booking by card (B1): the place is held in the booking transaction, then a Stripe checkout.

``CardPayment`` is the booking ``PaymentMethod`` for paid tickets: it settles with a ``CardPaymentRef``
(status ``held``), and once the place is held opens a checkout in payment mode (purpose ``booking``).
The held place then goes the way of every held place (``memberships/holds.py``): confirmed once on
``checkout.session.completed``, given back on ``checkout.session.expired`` or by the hold-release
schedule, re-taken (or refunded) when the payment arrives after the release.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..domain.bookings import (
    CARD_HOLD_SECONDS,
    Booking,
    BookingStatus,
    CardPaymentRef,
    Refund,
    Settlement,
    SettlementKind,
    refund_due,
)
from ..domain.errors import ConflictError, NotFoundError
from ..domain.memberships import Checkout
from ..logs import logger
from ..ports.clock import Clock, new_id, utc_now
from ..ports.payments import BusinessPayments, CheckoutLine, CheckoutRequest, CompletedCheckout
from .bookings import card_applies
from .memberships.holds import HeldPlaceSettlement, booking_line

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from ..domain.catalogue import Entry, Ticket
    from ..domain.tenancy import Business
    from ..ports.bookings import BookingStore
    from ..ports.catalogue import CatalogueStore
    from ..ports.memberships import CheckoutStore
    from ..ports.messaging import MailerPort
    from ..ports.tenancy import BusinessStore, CustomerStore
    from .payment_records import PaymentRecords

PURPOSE = "booking"


class CardPayment:
    """The booking ``PaymentMethod`` for paid tickets, and (B3) the refund when a paid one is cancelled."""

    def __init__(self, checkouts: CheckoutStore, bookings: BookingStore, catalogue: CatalogueStore,
                 payments: BusinessPayments, public_base_url: str, clock: Clock = utc_now,
                 records: PaymentRecords | None = None) -> None:
        self.records = records  # B6: the refund on the customer's payments record
        self.checkouts = checkouts
        self.bookings = bookings
        self.catalogue = catalogue
        self.payments = payments
        self.public_base_url = public_base_url.rstrip("/")
        self.clock = clock

    def applies(self, ticket: Ticket, pay_with: str) -> bool:
        return card_applies(ticket, pay_with)

    def settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int) -> Settlement:
        business.stripe_account()  # T6: a business that cannot take payments refuses before any place is held
        return Settlement(SettlementKind.CARD, CardPaymentRef(new_id()), BookingStatus.HELD)

    def booked(self, business: Business, entry: Entry, ticket: Ticket, booking: Booking) -> Booking:
        """Open the checkout for the held place; without one nothing would ever release it, so give it back."""
        assert isinstance(booking.settlement.ref, CardPaymentRef)
        checkout_id = booking.settlement.ref.checkout_id
        try:  # counted among the booker's open checkouts: refused past MAX_OPEN_CHECKOUTS (B8)
            self.checkouts.create(Checkout(business.business_id, checkout_id, "", "", booking.booker_email,
                                           (booking.booking_id,)), booking.created_at)
        except Exception:
            self._release(booking)
            raise
        mine = f"{self.public_base_url}/v1/businesses/{business.business_id}/me/bookings/{booking.booking_id}"
        request = CheckoutRequest(
            business_id=business.business_id, customer_email=booking.booker_email, mode="payment",
            lines=(CheckoutLine(f"{entry.title} — {ticket.title}", ticket.price_minor, ticket.currency,
                                quantity=booking.seats),),
            purpose=PURPOSE, reference=checkout_id,
            metadata={"booking_id": booking.booking_id, "entry_id": entry.entry_id},
            success_url=f"{mine}?checkout=success", cancel_url=f"{mine}?checkout=cancelled",
            expires_in_seconds=CARD_HOLD_SECONDS,
        )
        try:
            session = self.payments.for_business(business.business_id).create_checkout(request)
        except Exception:
            self._release(booking)
            self.checkouts.close(business.business_id, checkout_id, "failed")
            raise
        self.checkouts.set_session(business.business_id, checkout_id, session.session_id, session.url, session.expires_at)
        return replace(booking, checkout_url=session.url)

    def refund(self, business: Business, booking: Booking, at: datetime) -> Refund | None:
        """B3: what the business's policy gives back, refunded against the checkout's payment."""
        ref = booking.settlement.ref
        checkout = self.checkouts.find(business.business_id, ref.checkout_id) if isinstance(ref, CardPaymentRef) else None
        if checkout is None or not (checkout.payment_intent_id or checkout.invoice_id):
            return None  # never paid (or paid before payments were recorded): nothing to give back
        ticket = self.catalogue.get_entry(business.business_id, booking.entry_id).ticket(booking.ticket_id)
        amount = refund_due(business.refund_policy, business.refund_hours_before, booking.entry_starts_at, at,
                            ticket.price_minor * booking.seats)
        paid_by = (checkout.payment_intent_id, checkout.invoice_id)
        if self.records is not None:  # never more than is left of it (the dashboard may have refunded part)
            amount = self.records.refundable(business.business_id, paid_by, amount)
        if amount <= 0:
            return None
        state = "refunded"
        try:
            made = self.payments.for_business(business.business_id).refund_payment(
                checkout.payment_intent_id, checkout.invoice_id, amount, key=f"cancel:{booking.booking_id}")
        except Exception:
            # The booking stays cancelled; the refund shows as failed for staff to settle by hand.
            logger.exception("refund for a cancelled booking failed", extra={"booking_id": booking.booking_id})
            state, made = "failed", None
        if made is not None and made.failed:
            state = "failed"
        if self.records is not None and made is not None:
            self.records.refunded(business.business_id, booking.booker_email, made, paid_by, PURPOSE,
                                  booking_ids=(booking.booking_id,))
        elif self.records is not None:  # B6: what was owed and refused shows on the customer's record too
            self.records.refund_refused(business.business_id, booking.booker_email, f"cancel:{booking.booking_id}",
                                        amount, ticket.currency, paid_by, PURPOSE, booking_ids=(booking.booking_id,))
        refund = Refund(amount, ticket.currency, state)
        self.bookings.record_refund(business.business_id, booking.booking_id, refund)
        return refund

    def abandon(self, business: Business, booking: Booking) -> None:
        """Close the checkout (so a late payment is refunded, never re-takes the place), then expire its
        Stripe session so the booker cannot pay at all; if Stripe refuses, the late-payment refund stands."""
        ref = booking.settlement.ref
        checkout = self.checkouts.find(business.business_id, ref.checkout_id) if isinstance(ref, CardPaymentRef) else None
        if checkout is None or not self.checkouts.close(business.business_id, checkout.checkout_id, "cancelled"):
            return
        if checkout.session_id:
            try:
                self.payments.for_business(business.business_id).expire_checkout(checkout.session_id)
            except Exception:
                logger.exception("could not expire the checkout of a cancelled held booking",
                                 extra={"booking_id": booking.booking_id, "session_id": checkout.session_id})

    def _release(self, booking: Booking) -> None:
        """No checkout for the held place: nothing would ever release it, so give it back now."""
        try:
            self.bookings.cancel(booking, self.clock(), give_back_use=False, only_if=BookingStatus.HELD)
        except ConflictError:
            pass


class CardBookingCompletion:
    """``checkout_handlers["booking"]``: the paid checkout's place is confirmed (once), then one email."""

    def __init__(self, checkouts: CheckoutStore, settle_held: HeldPlaceSettlement, businesses: BusinessStore,
                 customers: CustomerStore, mailer: Callable[[], MailerPort], clock: Clock = utc_now) -> None:
        self.checkouts = checkouts
        self.settle_held = settle_held
        self.businesses = businesses
        self.customers = customers
        self.mailer = mailer
        self.clock = clock

    def complete(self, done: CompletedCheckout) -> None:
        checkout = self.checkouts.find(done.business_id, done.reference)
        if checkout is None:
            raise NotFoundError(f"checkout {done.reference} of session {done.session_id} is unknown")
        self.checkouts.record_payment(done.business_id, done.reference, done.payment_intent_id, done.invoice_id)
        retake = checkout.state != "cancelled"  # the booker cancelled before paying: refund, never re-take
        confirmed = [b for b in (self.settle_held.confirm(done, bid, retake=retake) for bid in checkout.booking_ids)
                     if b is not None]
        if checkout.state == "open":
            self.checkouts.close(done.business_id, done.reference, "completed")
        self.customers.make_primary(done.business_id, checkout.email, self.clock())  # a buyer (C1)
        if not confirmed:
            logger.info("paid ticket checkout had no place left; refunded", extra={"session_id": done.session_id})
            return
        business = self.businesses.get(done.business_id)
        lines = [booking_line(self.settle_held.catalogue, business.tz, b) for b in confirmed]
        self.mailer().send_once(done.session_id, "booking_confirmation", checkout.email,
                                {"business_name": business.name, "bookings": lines})
