"""Held places: confirmed when their checkout is paid (``HeldPlaceSettlement``), given back past expiry + grace
(the safety net for a lost "checkout expired" event)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ...domain.bookings import Booking, BookingStatus, CardPaymentRef, Settlement
from ...domain.dates import in_words
from ...domain.errors import ConflictError, EntryFullError
from ...domain.periods import days_to_scan
from ...logs import logger
from ...ports.clock import Clock, utc_now

if TYPE_CHECKING:
    from collections.abc import Callable
    from zoneinfo import ZoneInfo

    from ...ports.bookings import BookingStore
    from ...ports.catalogue import CatalogueStore
    from ...ports.memberships import CheckoutStore, HeldPlaces
    from ...ports.payments import BusinessPayments, CompletedCheckout
    from ...ports.schedules import ScheduleStateStore
    from ..payment_records import PaymentRecords

# Stripe's own session expiry (set a moment after the hold) and its "expired" event come first when
# all goes well: the safety net waits this long past a hold's expiry before giving the place back.
HOLD_RELEASE_GRACE = timedelta(minutes=15)
HOLDS_SCHEDULE = "release_expired_holds"
HOLDS_FIRST_RUN_DAYS = 3


class HoldReleaseSchedule:
    def __init__(self, bookings: BookingStore, checkouts: CheckoutStore, schedule_state: ScheduleStateStore,
                 clock: Clock = utc_now) -> None:
        self.bookings = bookings
        self.checkouts = checkouts
        self.schedule_state = schedule_state
        self.clock = clock

    def run(self, now: datetime | None = None) -> int:
        """Release places held past expiry + grace; returns how many.

        Reads only the sparse hold index, from the stored watermark on. Each release is one conditional
        transaction (held -> cancelled, booked -= seats), so a payment confirming the place at the same
        moment wins or loses as a whole; a completion arriving after the release re-takes the place.
        """
        now = now or self.clock()
        cutoff = now - HOLD_RELEASE_GRACE
        released = 0
        for day in days_to_scan(self.schedule_state.watermark(HOLDS_SCHEDULE), cutoff, HOLDS_FIRST_RUN_DAYS):
            for business_id, booking_id in self.bookings.holds_expiring_on(day, cutoff):
                booking = self.bookings.get(business_id, booking_id)
                ref = booking.settlement.ref
                checkout_id = ref.checkout_id if isinstance(ref, CardPaymentRef) else ""
                checkout = self.checkouts.find(business_id, checkout_id) if checkout_id else None
                if checkout is not None and checkout.state == "completed":
                    continue  # paid: its completion is confirming the places right now
                if checkout is not None:
                    self.checkouts.close(business_id, checkout_id, "expired")
                try:
                    self.bookings.cancel(booking, now, give_back_use=False, only_if=BookingStatus.HELD)
                    released += 1
                except ConflictError:
                    pass  # confirmed or released meanwhile
        self.schedule_state.advance(HOLDS_SCHEDULE, cutoff)
        return released


class HeldPlaceSettlement:
    """A paid checkout's held places become bookings: the one mechanism for baskets and card tickets.

    A place still held is confirmed (one conditional update). One released before the payment reached
    us (expired event or safety net first) is re-taken if still free, else the ticket is refunded.
    """

    def __init__(self, bookings: BookingStore, held: HeldPlaces, catalogue: CatalogueStore,
                 payments: BusinessPayments, records: PaymentRecords | None = None) -> None:
        self.records = records  # B6: a late payment's refund on the customer's payments record
        self.bookings = bookings
        self.held = held
        self.catalogue = catalogue
        self.payments = payments

    def confirm(self, done: CompletedCheckout, booking_id: str,
                paid_by: Callable[[Booking], Settlement | None] | None = None, retake: bool = True) -> Booking | None:
        """The booking now confirmed, or None when its place had gone and the ticket was refunded.

        ``paid_by`` (B7): what pays the held place once confirmed (a member ticket's offer use), taken in
        the transaction that confirms it; None keeps the checkout's own payment."""
        booking = self.bookings.get(done.business_id, booking_id)
        if booking.status is BookingStatus.HELD:
            settlement = paid_by(booking) if paid_by is not None else None
            if settlement is not None and self.bookings.confirm_held(booking, settlement):
                return replace(booking, settlement=settlement, status=BookingStatus.CONFIRMED, hold_expires_at=None)
            if settlement is None and self.held.confirm(done.business_id, booking_id):
                return replace(booking, status=BookingStatus.CONFIRMED, hold_expires_at=None)
            booking = self.bookings.get(done.business_id, booking_id)
        if booking.status is BookingStatus.CONFIRMED:
            return booking
        return self._retake_released(done, booking, retake)

    def _retake_released(self, done: CompletedCheckout, booking: Booking, retake: bool = True) -> Booking | None:
        """The booker paid for the place, so it is theirs again if still free; a business keeps no money
        for a place it cannot give, and never overbooks to honour a late payment. A place the booker
        cancelled themself (``retake`` False) is not taken again: the payment is refunded."""
        entry = self.catalogue.get_entry(done.business_id, booking.entry_id)
        if retake:
            try:
                self.bookings.retake(booking, capacity=entry.capacity)
                return replace(booking, status=BookingStatus.CONFIRMED, cancelled_at=None, hold_expires_at=None)
            except EntryFullError:
                pass
        amount = entry.ticket(booking.ticket_id).price_minor * booking.seats
        logger.warning("paid after its held place was released (taken or cancelled); refunding the ticket",
                       extra={"booking_id": booking.booking_id, "amount_minor": amount})
        if amount > 0:
            made = self.payments.for_business(done.business_id).refund_payment(
                done.payment_intent_id, done.invoice_id, amount, key=f"{done.session_id}:{booking.booking_id}")
            if self.records is not None:
                self.records.refunded(done.business_id, booking.booker_email, made,
                                      (done.payment_intent_id, done.invoice_id, done.session_id), done.purpose,
                                      booking_ids=(booking.booking_id,))
        return None


def booking_line(catalogue: CatalogueStore, tz: ZoneInfo, b: Booking) -> dict[str, Any]:
    """One booking as the confirmation email lists it (times in the business's zone, in words)."""
    entry = catalogue.get_entry(b.business_id, b.entry_id)
    return {"entry_title": entry.title, "starts_at": in_words(entry.starts_at, tz),
            "ticket_title": entry.ticket(b.ticket_id).title, "seats": b.seats}
