"""The safety net for a lost "checkout expired" event: give back places held past expiry + grace."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ...domain.bookings import BookingStatus, CardPaymentRef
from ...domain.errors import ConflictError
from ...domain.periods import days_to_scan
from ...ports.clock import Clock, utc_now

if TYPE_CHECKING:
    from ...ports.bookings import BookingStore
    from ...ports.memberships import CheckoutStore
    from ...ports.schedules import ScheduleStateStore

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
