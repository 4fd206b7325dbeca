"""The places-freed signal (X2) against a join racing a cancellation: whichever reads second signals."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import BookerContext, StaffContext
from chalicelib.domain.customers import Customer
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.services.bookings import BookingService, BookTickets, FreeTickets
from chalicelib.services.waitlists import MESSAGE_KIND, JoinWaitlist, PlacesFreed, WaitlistService
from tests.fakes.core import FakeBookingStore, FakeCatalogueStore
from tests.fakes.memberships import FakeQueue
from tests.fakes.waitlists import FakeWaitlistStore

NOW = datetime(2030, 1, 1, 9, tzinfo=UTC)
BIZ = Business("biz", "Studio", Plan.STANDARD, "Europe/Berlin")
ANN, BEN = "ann@x.org", "ben@x.org"


def booker(email: str) -> BookerContext:
    return BookerContext(BIZ, f"sub-{email}", email, Customer("biz", email))


class CancelledWhileJoining(FakeWaitlistStore):
    """The cancellation commits and reads the waiting count after the join's check, before its count."""

    race: object = None

    def add(self, waiter, starts_at):  # type: ignore[no-untyped-def]
        if callable(self.race):
            self.race()
        super().add(waiter, starts_at)


def world(store_class: type[FakeWaitlistStore]):  # type: ignore[no-untyped-def]
    catalogue = FakeCatalogueStore()
    catalogue.save_page(SchedulePage("biz", "p1", "Classes"))
    catalogue.save_entry(Entry("biz", "e1", "p1", "Yoga", NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1),
                               capacity=1, tickets=(Ticket("t1", "Free", 0, "EUR"),)))
    store = FakeBookingStore(catalogue, {})
    bookings = BookingService(catalogue, store, [FreeTickets()], clock=lambda: NOW)
    waitlist = store_class(store)
    queue = FakeQueue()
    signal = PlacesFreed(lambda: queue, lambda: waitlist)
    waitlists = WaitlistService(catalogue, waitlist, bookings, signal, clock=lambda: NOW)
    return bookings, waitlists, waitlist, signal, queue


def promotions(queue: FakeQueue) -> int:
    return sum(1 for kind, _ in queue.sent if kind == MESSAGE_KIND)


def test_no_signal_without_waiters_and_one_with_a_waiter():
    bookings, waitlists, _, signal, queue = world(FakeWaitlistStore)
    bookings.book(booker(ANN), BookTickets("e1", "t1"))
    signal("biz", "e1")
    assert promotions(queue) == 0
    waitlists.join(booker(BEN), JoinWaitlist("e1", "t1"))
    signal("biz", "e1")
    assert promotions(queue) == 1


def test_a_cancellation_reading_the_count_before_a_join_wrote_it_is_signalled_by_the_join():
    bookings, waitlists, waitlist, signal, queue = world(CancelledWhileJoining)
    ann = bookings.book(booker(ANN), BookTickets("e1", "t1"))

    def cancellation() -> None:
        bookings.cancel_any(StaffContext(BIZ, "staff-1"), ann.booking_id)
        signal("biz", "e1")  # the store's signal after its commit: nobody counted yet

    waitlist.race = cancellation  # type: ignore[attr-defined]
    waitlists.join(booker(BEN), JoinWaitlist("e1", "t1"))
    assert promotions(queue) == 1  # the join saw the freed place after writing its count
