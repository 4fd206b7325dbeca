"""Booking emails (confirmation, cancellation) for bookings settled in the request (free, offer, pass).

The request only queues a small message after its transaction committed (no SES, no templates at the
API's cold start); the events worker sends the email once per booking and kind. Card bookings are
confirmed by their checkout's completion, which sends its own confirmation (``card_bookings``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain.money import format_money
from ..logs import logger
from .memberships.holds import booking_line

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.bookings import Booking
    from ..ports.bookings import BookingStore
    from ..ports.catalogue import CatalogueStore
    from ..ports.messaging import EventQueuePort, MailerPort
    from ..ports.tenancy import BusinessStore

MESSAGE_KIND = "booking_notice"
TEMPLATES = {"confirmed": "booking_confirmation", "cancelled": "booking_cancelled"}


class BookingNotices:
    def __init__(self, bookings: BookingStore, catalogue: CatalogueStore, businesses: BusinessStore,
                 queue: Callable[[], EventQueuePort], mailer: Callable[[], MailerPort]) -> None:
        self.bookings = bookings
        self.catalogue = catalogue
        self.businesses = businesses
        self.queue = queue
        self.mailer = mailer

    def enqueue(self, kind: str, booking: Booking) -> None:
        """Called after the booking committed: a lost notice must not turn a done booking into an error."""
        try:
            self.queue().send(MESSAGE_KIND, {"kind": kind, "business_id": booking.business_id,
                                             "booking_id": booking.booking_id})
        except Exception as exc:
            logger.warning("booking notice not queued",
                           extra={"booking_id": booking.booking_id, "kind": kind, "error": repr(exc)})

    def deliver(self, body: dict[str, Any]) -> None:
        """``queue_handlers["booking_notice"]``: one email per booking and kind, whatever the redeliveries."""
        kind, business_id, booking_id = str(body.get("kind")), str(body.get("business_id")), str(body.get("booking_id"))
        if kind not in TEMPLATES:
            logger.warning("unknown booking notice; dropped", extra={"kind": kind})
            return
        booking = self.bookings.get(business_id, booking_id)
        business = self.businesses.get(business_id)
        context: dict[str, Any] = {"business_name": business.name,
                                   "bookings": [booking_line(self.catalogue, business.tz, booking)]}
        if booking.refund is not None:
            context["refund"] = format_money(booking.refund.amount_minor, booking.refund.currency)
        self.mailer().send_once(booking_id, TEMPLATES[kind], booking.booker_email, context)
