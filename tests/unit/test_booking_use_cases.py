"""The booking use cases on in-memory fakes: the rules of ``services/bookings.py`` in milliseconds."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.bookings import BookingStatus, PassUseRef, Settlement, SettlementKind
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import BookerContext, StaffContext
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RuleRefusedError,
    TransactionContendedError,
)
from chalicelib.domain.paging import PageRequest
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.services.bookings import ATTEMPTS, BookingService, BookTickets, FreeTickets, SettledAtOnce
from tests.fakes.core import CountedUses, FakeBookingStore, FakeCatalogueStore

NOW = datetime(2030, 1, 1, 9, tzinfo=UTC)
BIZ = Business("biz", "Studio", Plan.STANDARD, "Europe/Berlin")


class UsePayment(SettledAtOnce):
    """A payment method spending one counted use per booking (how passes and offers plug in)."""

    def applies(self, ticket: Ticket, pay_with: str) -> bool:
        return pay_with == "pass"

    def settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int) -> Settlement:
        return Settlement(SettlementKind.PASS, PassUseRef(pass_id="p1", title="5 classes", revision=1, uses_total=5))


def booker(email: str = "ann@example.com", business: Business = BIZ) -> BookerContext:
    return BookerContext(business, f"sub-{email}", email, Customer(business.business_id, email))


STAFF = StaffContext(BIZ, "staff-1")


@pytest.fixture
def world():
    catalogue = FakeCatalogueStore()
    uses = {"ann@example.com": 1}
    store = FakeBookingStore(catalogue, {SettlementKind.PASS: CountedUses(
        uses, lambda: RuleRefusedError("no_uses_left", "No uses left on this pass."))})
    catalogue.save_page(SchedulePage("biz", "p1", "Classes"))
    catalogue.save_entry(Entry("biz", "e1", "p1", "Yoga", NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1),
                               capacity=3, tickets=(Ticket("t1", "Free", 0, "EUR"),)))
    service = BookingService(catalogue, store, [FreeTickets(), UsePayment()], clock=lambda: NOW)
    return service, catalogue, store, uses


def test_book_a_free_ticket(world):
    service, catalogue, store, _ = world
    booking = service.book(booker(), BookTickets("e1", "t1"))
    assert booking.status is BookingStatus.CONFIRMED and booking.paid_with is SettlementKind.FREE
    assert catalogue.get_entry("biz", "e1").booked == 1
    assert service.mine(booker(), PageRequest()).items == [booking] and service.for_entry(STAFF, "e1", PageRequest()).items == [booking]


def test_participants_take_places_and_must_be_named(world):
    service, catalogue, _, _ = world
    booking = service.book(booker(), BookTickets("e1", "t1", participants=("Bo", "Cy")))
    assert booking.seats == 3 and catalogue.get_entry("biz", "e1").booked == 3
    with pytest.raises(InvalidInputError):
        service.book(booker("dan@example.com"), BookTickets("e1", "t1", participants=(" ",)))


def test_a_full_entry_refuses_and_takes_nothing(world):
    service, catalogue, store, _ = world
    service.book(booker(), BookTickets("e1", "t1", participants=("Bo",)))
    with pytest.raises(RuleRefusedError) as refused:
        service.book(booker("dan@example.com"), BookTickets("e1", "t1", participants=("Cy",)))
    assert refused.value.reason == "no_places_left" and refused.value.details["places_left"] == 1
    assert catalogue.get_entry("biz", "e1").booked == 2 and len(store.items) == 1


def test_a_refused_settlement_takes_no_place(world):
    """All or nothing: the writer's refusal leaves the entry as it was."""
    service, catalogue, store, uses = world
    with pytest.raises(RuleRefusedError) as refused:
        service.book(booker("dan@example.com"), BookTickets("e1", "t1", pay_with="pass"))
    assert refused.value.reason == "no_uses_left"
    assert catalogue.get_entry("biz", "e1").booked == 0 and store.items == {} and "dan@example.com" not in uses


def test_cancel_gives_the_use_back(world):
    service, catalogue, _, uses = world
    booking = service.book(booker(), BookTickets("e1", "t1", pay_with="pass"))
    assert uses["ann@example.com"] == 0
    cancelled = service.cancel_mine(booker(), booking.booking_id)
    assert cancelled.status is BookingStatus.CANCELLED and cancelled.use_returned is True
    assert uses["ann@example.com"] == 1 and catalogue.get_entry("biz", "e1").booked == 0


def test_cancel_keeps_the_use_when_the_business_says_so(world):
    service, _, _, uses = world
    keeps = Business("biz", "Studio", Plan.STANDARD, "Europe/Berlin", return_use_on_cancel=False)
    booking = service.book(booker(business=keeps), BookTickets("e1", "t1", pay_with="pass"))
    assert service.cancel_mine(booker(business=keeps), booking.booking_id).use_returned is False
    assert uses["ann@example.com"] == 0


def test_staff_cancel_any_booking_once(world):
    service, catalogue, store, _ = world
    booking = service.book(booker(), BookTickets("e1", "t1"))
    assert service.cancel_any(STAFF, booking.booking_id).status is BookingStatus.CANCELLED
    assert store.get("biz", booking.booking_id).status is BookingStatus.CANCELLED
    assert catalogue.get_entry("biz", "e1").booked == 0
    with pytest.raises(ConflictError) as again:
        service.cancel_any(STAFF, booking.booking_id)
    assert again.value.code == "already_cancelled"


def test_a_booker_cannot_see_or_cancel_another_bookers_booking(world):
    service, _, store, _ = world
    booking = service.book(booker(), BookTickets("e1", "t1"))
    other = booker("eve@example.com")
    with pytest.raises(NotFoundError):
        service.get_for_booker(other, booking.booking_id)
    with pytest.raises(NotFoundError):
        service.cancel_mine(other, booking.booking_id)
    assert service.mine(other, PageRequest()).items == [] and store.get("biz", booking.booking_id).status is BookingStatus.CONFIRMED


def test_contention_is_retried_then_reported(world):
    service, catalogue, store, _ = world
    store.contend_next = ATTEMPTS - 1
    service.book(booker(), BookTickets("e1", "t1"))
    assert catalogue.get_entry("biz", "e1").booked == 1
    store.contend_next = ATTEMPTS
    with pytest.raises(TransactionContendedError):
        service.book(booker("dan@example.com"), BookTickets("e1", "t1"))
    assert catalogue.get_entry("biz", "e1").booked == 1


def test_an_entry_that_started_or_is_unknown_refuses(world):
    service, catalogue, _, _ = world
    with pytest.raises(NotFoundError):
        service.book(booker(), BookTickets("nope", "t1"))
    started = BookingService(catalogue, FakeBookingStore(catalogue), [FreeTickets()], clock=lambda: NOW + timedelta(days=2))
    with pytest.raises(RuleRefusedError) as refused:
        started.book(booker(), BookTickets("e1", "t1"))
    assert refused.value.reason == "entry_started"
