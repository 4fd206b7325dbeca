"""Booking a place: the common rules, then a pluggable payment method, then one transaction.

A ``PaymentMethod`` decides how a booking is settled (free, offer use, pass use, card) and may
refuse with a named rule. Methods are asked in order; the first that ``applies`` settles. Features
register theirs in the composition root (``bootstrap``), so this module knows none of them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from ..domain.bookings import (
    CARD_HOLD_SECONDS,
    Booking,
    BookingStatus,
    OfferUseRef,
    Refund,
    Settlement,
    SettlementKind,
    check_cancellable,
    check_request,
    gives_credit_back,
    raise_full,
    refunds_by_card,
)
from ..domain.customers import CustomerKind
from ..domain.errors import EntryFullError, NotFoundError, PlanRequiredError, RuleRefusedError, TransactionContendedError
from ..ports.clock import Clock, new_id, utc_now

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..domain.catalogue import Entry, Ticket
    from ..domain.context import BookerContext, StaffContext
    from ..domain.paging import Page, PageRequest
    from ..domain.pauses import PauseWindow
    from ..domain.tenancy import Business
    from ..ports.bookings import BookingStore
    from ..ports.catalogue import CatalogueStore
    from ..ports.customers import CustomerKinds

ATTEMPTS = 4
EXPLICIT_CHOICES = ("pass", "card")


@dataclass(frozen=True)
class BookTickets:
    entry_id: str
    ticket_id: str
    participants: tuple[str, ...] = ()
    pay_with: str = "auto"  # "auto" (B2: offer, oldest pass, free, card) | "pass" | "card"


class PaymentMethod(Protocol):
    def applies(self, ticket: Ticket, pay_with: str) -> bool: ...

    def settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int) -> Settlement:
        """Decide what pays (reading what it needs); raise ``RuleRefusedError`` naming the rule."""
        ...

    def booked(self, business: Business, entry: Entry, ticket: Ticket, booking: Booking) -> Booking:
        """After the booking transaction: what the booker still has to do (a card checkout); else as is."""
        ...


class SettledAtOnce:
    """A method whose settlement is complete in the booking transaction (free, offer use, pass use)."""

    def booked(self, business: Business, entry: Entry, ticket: Ticket, booking: Booking) -> Booking:
        return booking


def offer_applies(ticket: Ticket, pay_with: str) -> bool:
    return ticket.exclusive and pay_with == "auto"


def pass_applies(ticket: Ticket, pay_with: str) -> bool:
    """Asked for, or (B2) before card for any paid ticket that is not a member ticket."""
    return pay_with == "pass" or (pay_with == "auto" and not ticket.exclusive and not ticket.free)


def card_applies(ticket: Ticket, pay_with: str) -> bool:
    return pay_with in ("auto", "card") and not ticket.exclusive and ticket.price_minor > 0


class LazyPaymentMethod:
    """A payment method made on first use: a free booking never imports the pass, offer or card modules.

    ``when`` is the method's own ``applies`` rule, asked without making the method.
    """

    def __init__(self, make: Callable[[], PaymentMethod], when: Callable[[Ticket, str], bool]) -> None:
        self._make = make
        self._when = when
        self._method: PaymentMethod | None = None

    def _get(self) -> PaymentMethod:
        if self._method is None:
            self._method = self._make()
        return self._method

    def applies(self, ticket: Ticket, pay_with: str) -> bool:
        return self._when(ticket, pay_with)

    def settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int) -> Settlement:
        return self._get().settle(business, entry, ticket, email, seats)

    def booked(self, business: Business, entry: Entry, ticket: Ticket, booking: Booking) -> Booking:
        return self._get().booked(business, entry, ticket, booking)


class FreeTickets(SettledAtOnce):
    def applies(self, ticket: Ticket, pay_with: str) -> bool:
        return ticket.free and pay_with == "auto"

    def settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int) -> Settlement:
        return Settlement(SettlementKind.FREE)


class CourseCredit(Protocol):
    def rejoin_with_credit(self, ctx: BookerContext, entry: Entry, ticket_id: str) -> Booking | None:
        """A course's session the booker left, booked again with the credit leaving gave back; None: not one."""
        ...


class CancelRefunds(Protocol):
    def refund(self, business: Business, booking: Booking, at: datetime) -> Refund | None:
        """Give back what the business's policy says for a cancelled paid booking; None when nothing."""
        ...

    def abandon(self, business: Business, booking: Booking) -> None:
        """A held booking cancelled before it was paid: its checkout can no longer be paid."""
        ...


def payment_methods(offer_use: Callable[[], PaymentMethod], pass_payment: Callable[[], PaymentMethod],
                    card: Callable[[], PaymentMethod]) -> list[PaymentMethod]:
    """B2's order: a member offer use, else free, else the oldest eligible pass, else card (free tickets
    never spend a pass use). Under ``auto`` a method's refusal moves on to the next."""
    return [LazyPaymentMethod(offer_use, offer_applies), FreeTickets(), LazyPaymentMethod(pass_payment, pass_applies),
            LazyPaymentMethod(card, card_applies)]


class BookingService:
    def __init__(
        self,
        catalogue: CatalogueStore,
        bookings: BookingStore,
        methods: Sequence[PaymentMethod],
        clock: Clock = utc_now,
        kinds: CustomerKinds | None = None,
        refunds: Callable[[], CancelRefunds] | None = None,
        notify: Callable[[str, Booking], None] | None = None,
        course_credit: Callable[[], CourseCredit] | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.bookings = bookings
        self.methods = list(methods)
        self.clock = clock
        self.kinds = kinds
        self.refunds = refunds
        self.notify = notify  # ("confirmed" | "cancelled", booking): queues the booker's email
        self.course_credit = course_credit  # S5: a left course session is booked again with the course's credit

    def book(self, ctx: BookerContext, body: BookTickets) -> Booking:
        email, business, business_id = ctx.account_email, ctx.business, ctx.business_id
        participants = tuple(body.participants)
        booking_id = new_id()
        read: Entry | None = None  # the first attempt reuses the read the course check made
        if body.pay_with == "auto" and not participants and self.course_credit is not None:
            read = self.catalogue.get_entry(business_id, body.entry_id)
            if read.series_id is not None:
                rejoined = self.course_credit().rejoin_with_credit(ctx, read, body.ticket_id)
                if rejoined is not None:
                    return rejoined
        for attempt in range(ATTEMPTS):
            entry = read if read is not None and attempt == 0 else self.catalogue.get_entry(business_id, body.entry_id)
            ticket = entry.ticket(body.ticket_id)
            now = self.clock()
            page_published = self.catalogue.get_page(business_id, entry.page_id).published
            check_request(entry, ticket, participants, now, places=False, page_published=page_published)
            method, settlement = self._settle(business, entry, ticket, email, 1 + len(participants), body.pay_with)
            if entry.places_left < 1 + len(participants):
                raise_full(entry.places_left)
            held = settlement.status is BookingStatus.HELD
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
                hold_expires_at=now + timedelta(seconds=CARD_HOLD_SECONDS) if held else None,
            )
            try:
                self.bookings.create(booking, capacity=entry.capacity, booker_cap=business.max_places_per_booker)
            except (EntryFullError, TransactionContendedError):
                # Re-read and decide again: the entry may be full now, or the use spent.
                if attempt == ATTEMPTS - 1:
                    raise
                continue
            self._registered(ctx)
            booking = method.booked(business, entry, ticket, booking)
            if booking.status is BookingStatus.CONFIRMED and self.notify is not None:
                self.notify("confirmed", booking)
            return booking
        raise AssertionError("unreachable")

    def _registered(self, ctx: BookerContext) -> None:
        """C1: whoever registers (free or paid) is a primary customer; one write, only when the kind changes."""
        if self.kinds is not None and ctx.customer.kind is CustomerKind.APP_USER:
            self.kinds.promote_to_primary(ctx.business_id, ctx.email)

    def cancel_mine(self, ctx: BookerContext, booking_id: str) -> Booking:
        return self._cancel(ctx.business, self.get_for_booker(ctx, booking_id))

    def cancel_any(self, ctx: StaffContext, booking_id: str) -> Booking:
        return self._cancel(ctx.business, self.bookings.get(ctx.business_id, booking_id))

    def cancel_place(self, business: Business, booking: Booking) -> Booking:
        """The one cancellation (B3, S5): a course's session left through its own route comes here too."""
        return self._cancel(business, booking)

    def _cancel(self, business: Business, booking: Booking) -> Booking:
        check_cancellable(booking)
        now = self.clock()
        give_back = gives_credit_back(booking, business.return_use_on_cancel)
        returned = self.bookings.cancel(booking, now, give_back_use=give_back)
        refund = None
        if refunds_by_card(booking) and self.refunds is not None:
            refund = self.refunds().refund(business, booking, now)  # B3, staff and booker alike
        elif booking.settlement.kind is SettlementKind.CARD and booking.status is BookingStatus.HELD and self.refunds:
            self.refunds().abandon(business, booking)
        cancelled = replace(booking, status=BookingStatus.CANCELLED, cancelled_at=now, use_returned=returned, refund=refund)
        if self.notify is not None:
            self.notify("cancelled", cancelled)
        return cancelled

    def cancel_for_pause(self, business: Business, email: str, group_id: str, pause: PauseWindow) -> int:
        """X1: cancel the booker's member-ticket bookings of ``group_id`` that start inside the pause,
        their uses given back (whatever the business's setting) and the booker emailed; how many."""
        refunding = replace(business, return_use_on_cancel=True)
        due = [b for b in self.bookings.for_booker(business.business_id, email)
               if b.status is BookingStatus.CONFIRMED and b.settlement.kind is SettlementKind.OFFER
               and isinstance(b.settlement.ref, OfferUseRef) and b.settlement.ref.group_id == group_id
               and pause.covers(b.entry_starts_at.astimezone(business.tz).date())]
        for booking in due:
            self._cancel(refunding, booking)
        return len(due)

    def get_for_booker(self, ctx: BookerContext, booking_id: str) -> Booking:
        booking = self.bookings.get(ctx.business_id, booking_id)
        if booking.booker_email != ctx.account_email:
            raise NotFoundError(f"Booking '{booking_id}' does not exist.")
        return booking

    def mine(self, ctx: BookerContext, page: PageRequest) -> Page[Booking]:
        return self.bookings.booker_page(ctx.business_id, ctx.account_email, page)

    def for_entry(self, ctx: StaffContext, entry_id: str, page: PageRequest) -> Page[Booking]:
        self.catalogue.get_entry(ctx.business_id, entry_id)
        return self.bookings.entry_page(ctx.business_id, entry_id, page)

    def for_customer(self, ctx: StaffContext, email: str, page: PageRequest) -> Page[Booking]:
        return self.bookings.booker_page(ctx.business_id, email, page)

    def settle_for(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int,
                   pay_with: str) -> tuple[PaymentMethod, Settlement]:
        """B2's choice for a booking made elsewhere (a waitlist promotion): same methods, same order, same refusals."""
        return self._settle(business, entry, ticket, email, seats, pay_with)

    def _settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int,
                pay_with: str) -> tuple[PaymentMethod, Settlement]:
        """The first method that applies settles; under ``auto`` a refusal moves on to the next (B2).

        The last refusal stands, with ``try``: the explicit choices that could still pay this ticket.
        """
        methods = [m for m in self.methods if m.applies(ticket, pay_with)]
        alternatives = [p for p in EXPLICIT_CHOICES if p != pay_with and any(m.applies(ticket, p) for m in self.methods)]
        if not methods:
            if ticket.exclusive:
                raise RuleRefusedError("offers_unavailable", "Exclusive tickets cannot be booked yet.")
            raise RuleRefusedError("payment_method_unavailable", f"This ticket cannot be paid with '{pay_with}'.",
                                   **{"try": alternatives or ["auto"]})
        for i, method in enumerate(methods):
            try:
                return method, method.settle(business, entry, ticket, email, seats)
            except (RuleRefusedError, PlanRequiredError) as refusal:
                if pay_with == "auto" and i < len(methods) - 1:
                    continue
                if alternatives:
                    refusal.details.setdefault("try", alternatives)
                raise
        raise AssertionError("unreachable")
