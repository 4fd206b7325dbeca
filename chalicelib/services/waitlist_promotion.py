"""Promotion (X2): places came back on an entry, so the first waiters whose payment still works get them.

Runs from the events queue (``waitlist_promotion``), once per signal, and fills every free place it
finds, so a duplicated or lost signal neither over-books nor strands a place for long. Each waiter is
booked in one write (``WaitlistStore.book``: the booking transaction with its settlement and the
sign-up's removal), conditioned on capacity and on the sign-up still waiting: a redelivered message
or a second worker can never book a place twice, nor a waiter twice.

Card tickets: the place is *held* like any card booking (``CardPayment``) and the waiter gets the
checkout link by email; an unpaid hold comes back by the usual release and is promoted again.
A waiter whose payment no longer works (no uses left, pass gone, booker limit, ...) is taken off the
list and told why: keeping them would re-check (and re-refuse) them on every freed place, ahead of
people who can pay. A waiter needing more places than are free stays queued, the next one is asked.

The "promoted"/"offered" email is exactly once: the booking transaction leaves the sign-up as an outbox
row (``awaiting_mail``), deleted only after the email went through the ledger (keyed by the sign-up).
A worker dying in between leaves the row and the message; its redelivery mails it first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from ..domain.bookings import CARD_HOLD_SECONDS, Booking, BookingStatus
from ..domain.dates import in_words
from ..domain.errors import (
    ConflictError,
    DomainError,
    EntryFullError,
    NotFoundError,
    PlanRequiredError,
    RuleRefusedError,
    TransactionContendedError,
)
from ..logs import logger
from ..ports.clock import Clock, new_id, utc_now

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..domain.catalogue import Entry
    from ..domain.tenancy import Business
    from ..domain.waitlists import Waiter
    from ..ports.catalogue import CatalogueStore
    from ..ports.messaging import MailerPort
    from ..ports.tenancy import BusinessStore
    from ..ports.waitlists import WaitlistStore
    from .bookings import BookingService

BATCH = 10  # waiters read per round (one indexed query with Limit)
MAX_ROUNDS = 200  # contention bound; past it the message fails and the queue retries it
CHECKOUT_GRACE = timedelta(minutes=5)  # a held place without its checkout after this: its worker died


class Tried(Enum):
    BOOKED = "booked"
    SKIPPED = "skipped"
    GONE = "gone"  # booked, left or moved off by someone else meanwhile
    FULL = "full"  # the places went first: read the entry again
    BUSY = "busy"


@dataclass(frozen=True)
class Promoted:
    bookings: tuple[Booking, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (email, reason)


class WaitlistPromotion:
    def __init__(self, catalogue: CatalogueStore, waitlist: WaitlistStore, bookings: BookingService,
                 businesses: BusinessStore, mailer: Callable[[], MailerPort], clock: Clock = utc_now) -> None:
        self.catalogue = catalogue
        self.waitlist = waitlist
        self.bookings = bookings
        self.businesses = businesses
        self.mailer = mailer
        self.clock = clock

    def handle(self, body: dict[str, Any]) -> None:
        """``queue_handlers["waitlist_promotion"]``."""
        self.promote(str(body.get("business_id")), str(body.get("entry_id")))

    def promote(self, business_id: str, entry_id: str) -> Promoted:
        business = self.businesses.get(business_id)
        self._mail_promoted(business, entry_id)
        booked: list[Booking] = []
        skipped: list[tuple[str, str]] = []
        for _ in range(MAX_ROUNDS):
            try:
                entry = self.catalogue.get_entry(business_id, entry_id)
            except NotFoundError:
                return Promoted(tuple(booked), tuple(skipped))  # deleted: nobody to book
            if entry.places_left < 1 or entry.starts_at <= self.clock() or not entry.published:
                return Promoted(tuple(booked), tuple(skipped))
            waiters = [w for w in self.waitlist.first(business_id, entry_id, BATCH) if w.seats <= entry.places_left]
            if not waiters:
                return Promoted(tuple(booked), tuple(skipped))
            for waiter in waiters:
                tried, result = self._try(business, entry, waiter)
                if tried is Tried.BOOKED:
                    assert isinstance(result, Booking)
                    booked.append(result)
                    break  # fewer places now: read the entry again
                if tried is Tried.SKIPPED:
                    skipped.append((waiter.email, str(result)))
                    continue
                if tried in (Tried.FULL, Tried.BUSY):
                    break
        raise TransactionContendedError(f"waitlist promotion of {entry_id} kept contending; the queue retries it")

    def _try(self, business: Business, entry: Entry, waiter: Waiter) -> tuple[Tried, Booking | str | None]:
        try:
            ticket = entry.ticket(waiter.ticket_id)
            method, settlement = self.bookings.settle_for(business, entry, ticket, waiter.email, waiter.seats,
                                                          waiter.booking_pay_with)
        except (RuleRefusedError, PlanRequiredError, NotFoundError) as refusal:
            return self._skip(business, entry, waiter, refusal)
        now = self.clock()
        held = settlement.status is BookingStatus.HELD
        booking = Booking(business_id=business.business_id, booking_id=new_id(), entry_id=entry.entry_id,
                          ticket_id=ticket.ticket_id, booker_email=waiter.email, participants=waiter.participants,
                          settlement=settlement, status=settlement.status, created_at=now,
                          entry_starts_at=entry.starts_at,
                          hold_expires_at=now + timedelta(seconds=CARD_HOLD_SECONDS) if held else None)
        try:
            self.waitlist.book(waiter, booking, capacity=entry.capacity, booker_cap=business.max_places_per_booker)
        except EntryFullError:
            return Tried.FULL, None
        except TransactionContendedError:
            return Tried.BUSY, None
        except RuleRefusedError as refusal:  # the settlement's or the booker limit's own condition
            return self._skip(business, entry, waiter, refusal)
        except ConflictError as exc:
            if exc.code == "not_waiting":
                return Tried.GONE, None
            raise
        try:
            booking = method.booked(business, entry, ticket, booking)  # card: the checkout for the held place
        except Exception as exc:  # the method gave the place back; the sign-up is used up: say so
            logger.exception("promoted waiter's checkout could not open", extra={"entry_id": entry.entry_id})
            why = exc if isinstance(exc, DomainError) else DomainError(
                "The payment page could not be opened.", code="checkout_unavailable")
            self._send_skipped(business, entry, waiter, why)
            self.waitlist.mailed(waiter)
            return Tried.SKIPPED, _reason(why)
        self._send_promoted(business, entry, waiter, booking)
        self.waitlist.mailed(waiter)
        return Tried.BOOKED, booking

    def _mail_promoted(self, business: Business, entry_id: str) -> None:
        """Sign-ups booked by an earlier run that died before their email: mail them now (once: ledger)."""
        pending = self.waitlist.awaiting_mail(business.business_id, entry_id)
        if not pending:
            return
        entry = self.catalogue.get_entry(business.business_id, entry_id)
        for waiter, booking_id in pending:
            booking = self.bookings.bookings.get(business.business_id, booking_id)
            if booking.status is BookingStatus.HELD and not booking.checkout_url:
                if self.clock() - booking.created_at < CHECKOUT_GRACE:
                    continue  # another worker may be opening its checkout right now
                # died before its checkout opened: the place goes back to the list now, the waiter is told
                try:
                    self.bookings.bookings.cancel(booking, self.clock(), give_back_use=False, only_if=BookingStatus.HELD)
                except ConflictError:
                    pass  # paid or released meanwhile
                self._send_skipped(business, entry, waiter, DomainError(
                    "The payment page could not be opened.", code="checkout_unavailable"))
            elif booking.status is not BookingStatus.CANCELLED:
                self._send_promoted(business, entry, waiter, booking)
            self.waitlist.mailed(waiter)

    def _skip(self, business: Business, entry: Entry, waiter: Waiter, refusal: DomainError) -> tuple[Tried, str]:
        self._send_skipped(business, entry, waiter, refusal)  # first: a crash after it re-sends nothing (ledger)
        if not self.waitlist.remove(waiter):
            return Tried.GONE, _reason(refusal)
        logger.info("waiter skipped", extra={"entry_id": entry.entry_id, "reason": _reason(refusal)})
        return Tried.SKIPPED, _reason(refusal)

    def _send_promoted(self, business: Business, entry: Entry, waiter: Waiter, booking: Booking) -> None:
        context = self._context(business, entry, waiter)
        if booking.status is BookingStatus.HELD:
            assert booking.hold_expires_at is not None
            context.update(checkout_url=booking.checkout_url or "", hold_until=in_words(booking.hold_expires_at, business.tz))
            self.mailer().send_once(waiter.waiter_id, "waitlist_offered", waiter.email, context)
        else:
            self.mailer().send_once(waiter.waiter_id, "waitlist_promoted", waiter.email,
                                    {**context, "paid_with": booking.settlement.kind.value})

    def _send_skipped(self, business: Business, entry: Entry, waiter: Waiter, refusal: DomainError) -> None:
        context = {**self._context(business, entry, waiter), "reason": str(refusal), "reason_code": _reason(refusal)}
        self.mailer().send_once(waiter.waiter_id, "waitlist_skipped", waiter.email, context)

    def _context(self, business: Business, entry: Entry, waiter: Waiter) -> dict[str, Any]:
        tickets = {t.ticket_id: t.title for t in entry.tickets}
        return {"business_name": business.name, "entry_title": entry.title,
                "starts_at": in_words(entry.starts_at, business.tz),
                "ticket_title": tickets.get(waiter.ticket_id, waiter.ticket_id), "seats": waiter.seats}


def _reason(error: DomainError) -> str:
    return str(error.details.get("reason") or error.code)

