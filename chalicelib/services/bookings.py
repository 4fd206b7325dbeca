"""Booking a place: the common rules, then a pluggable payment method, then one transaction.

A ``PaymentMethod`` decides how a booking is settled (free, offer use, pass use, card) and may
refuse with a named rule. Methods are asked in order; the first that ``applies`` settles. Features
register theirs in the composition root (``bootstrap``), so this module knows none of them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from ..domain.bookings import Booking, BookingStatus, Settlement, SettlementKind, check_cancellable, check_request, raise_full
from ..domain.errors import EntryFullError, NotFoundError, RuleRefusedError, TransactionContendedError
from ..ports.clock import Clock, new_id, utc_now

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..domain.catalogue import Entry, Ticket
    from ..domain.context import BookerContext, StaffContext
    from ..domain.tenancy import Business
    from ..ports.bookings import BookingStore
    from ..ports.catalogue import CatalogueStore

ATTEMPTS = 4


@dataclass(frozen=True)
class BookTickets:
    entry_id: str
    ticket_id: str
    participants: tuple[str, ...] = ()
    pay_with: str = "auto"  # "auto" | "pass" | "card"


class PaymentMethod(Protocol):
    def applies(self, ticket: Ticket, pay_with: str) -> bool: ...

    def settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int) -> Settlement:
        """Decide what pays (reading what it needs); raise ``RuleRefusedError`` naming the rule."""
        ...


class LazyPaymentMethod:
    """A payment method made on first use: a free booking never imports the pass or offer modules."""

    def __init__(self, make: Callable[[], PaymentMethod]) -> None:
        self._make = make
        self._method: PaymentMethod | None = None

    def _get(self) -> PaymentMethod:
        if self._method is None:
            self._method = self._make()
        return self._method

    def applies(self, ticket: Ticket, pay_with: str) -> bool:
        return self._get().applies(ticket, pay_with)

    def settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int) -> Settlement:
        return self._get().settle(business, entry, ticket, email, seats)


class FreeTickets:
    def applies(self, ticket: Ticket, pay_with: str) -> bool:
        return ticket.free and pay_with == "auto"

    def settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int) -> Settlement:
        return Settlement(SettlementKind.FREE)


class BookingService:
    def __init__(
        self,
        catalogue: CatalogueStore,
        bookings: BookingStore,
        methods: Sequence[PaymentMethod],
        clock: Clock = utc_now,
    ) -> None:
        self.catalogue = catalogue
        self.bookings = bookings
        self.methods = list(methods)
        self.clock = clock

    def book(self, ctx: BookerContext, body: BookTickets) -> Booking:
        email, business, business_id = ctx.email, ctx.business, ctx.business_id
        participants = tuple(body.participants)
        booking_id = new_id()
        for attempt in range(ATTEMPTS):
            entry = self.catalogue.get_entry(business_id, body.entry_id)
            ticket = entry.ticket(body.ticket_id)
            now = self.clock()
            page_published = self.catalogue.get_page(business_id, entry.page_id).published
            check_request(entry, ticket, participants, now, places=False, page_published=page_published)
            method = self._method(ticket, body.pay_with)
            settlement = method.settle(business, entry, ticket, email, 1 + len(participants))
            if entry.places_left < 1 + len(participants):
                raise_full(entry.places_left)
            booking = Booking(
                business_id=business_id,
                booking_id=booking_id,
                entry_id=entry.entry_id,
                ticket_id=ticket.ticket_id,
                booker_email=email,
                participants=participants,
                settlement=settlement,
                status=settlement.status,
                created_at=now,
                entry_starts_at=entry.starts_at,
            )
            try:
                self.bookings.create(booking, capacity=entry.capacity)
                return booking
            except (EntryFullError, TransactionContendedError):
                # Re-read and decide again: the entry may be full now, or the use spent.
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def cancel_mine(self, ctx: BookerContext, booking_id: str) -> Booking:
        return self._cancel(ctx.business, self.get_for_booker(ctx, booking_id))

    def cancel_any(self, ctx: StaffContext, booking_id: str) -> Booking:
        return self._cancel(ctx.business, self.bookings.get(ctx.business_id, booking_id))

    def _cancel(self, business: Business, booking: Booking) -> Booking:
        check_cancellable(booking)
        now = self.clock()
        give_back = business.return_use_on_cancel and booking.settlement.kind in (
            SettlementKind.OFFER,
            SettlementKind.PASS,
        )
        returned = self.bookings.cancel(booking, now, give_back_use=give_back)
        return replace(booking, status=BookingStatus.CANCELLED, cancelled_at=now, use_returned=returned)

    def get_for_booker(self, ctx: BookerContext, booking_id: str) -> Booking:
        booking = self.bookings.get(ctx.business_id, booking_id)
        if booking.booker_email != ctx.email:
            raise NotFoundError(f"Booking '{booking_id}' does not exist.")
        return booking

    def mine(self, ctx: BookerContext) -> list[Booking]:
        return self.bookings.for_booker(ctx.business_id, ctx.email)

    def for_entry(self, ctx: StaffContext, entry_id: str) -> list[Booking]:
        self.catalogue.get_entry(ctx.business_id, entry_id)
        return self.bookings.for_entry(ctx.business_id, entry_id)

    def for_customer(self, ctx: StaffContext, email: str) -> list[Booking]:
        return self.bookings.for_booker(ctx.business_id, email)

    def _method(self, ticket: Ticket, pay_with: str) -> PaymentMethod:
        for method in self.methods:
            if method.applies(ticket, pay_with):
                return method
        if ticket.exclusive:
            raise RuleRefusedError("offers_unavailable", "Exclusive tickets cannot be booked yet.")
        raise RuleRefusedError(
            "payment_method_unavailable",
            f"This ticket cannot be paid with '{pay_with}'.",
        )
