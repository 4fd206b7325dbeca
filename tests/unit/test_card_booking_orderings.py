"""B1: a ticket checkout's events, late, twice or out of order, end in one consistent outcome.

A booker holds the last places by card. The checkout's "completed" (if paid), "expired" and the
hold-release sweep arrive in any order, some twice, while another booker may grab free places in
between. Whatever the order: places are never overbooked, a paid booking ends confirmed or refunded
(once), an unpaid one ends released. Services are the real ones; stores, Stripe and mail are fakes.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.bookings import BookingStatus
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import BookerContext
from chalicelib.domain.customers import Customer
from chalicelib.domain.tenancy import Business, Plan, StripeConnection
from chalicelib.ports.payments import CompletedCheckout
from chalicelib.services.bookings import BookingService, BookTickets, FreeTickets
from chalicelib.services.card_bookings import CardBookingCompletion, CardPayment
from chalicelib.services.memberships.checkout import BasketCheckout
from chalicelib.services.memberships.holds import HeldPlaceSettlement, HoldReleaseSchedule
from tests.fakes.core import FakeBookingStore, FakeCatalogueStore
from tests.fakes.memberships import FakeBusinesses, FakeCustomers, FakeMailer, InMemoryCheckouts
from tests.fakes.payments import FakePayments

NOW = datetime(2030, 1, 1, 9, tzinfo=UTC)
BIZ = Business("biz", "Studio", Plan.STANDARD, "Europe/Berlin", stripe_account_id="acct_biz",
               stripe_connection=StripeConnection.CONNECTED)
ANN, BEN = "ann@example.com", "ben@example.com"


def ctx(email: str) -> BookerContext:
    return BookerContext(BIZ, f"sub-{email}", email, Customer("biz", email))


class World:
    def __init__(self) -> None:
        self.now = NOW
        clock = lambda: self.now  # noqa: E731
        self.catalogue = FakeCatalogueStore()
        self.catalogue.save_page(SchedulePage("biz", "p1", "Classes"))
        self.catalogue.save_entry(Entry("biz", "e1", "p1", "Yoga", NOW + timedelta(days=2), NOW + timedelta(days=2, hours=1),
                                        capacity=2, tickets=(Ticket("paid", "Drop-in", 1500, "EUR"),
                                                             Ticket("free", "Open day", 0, "EUR"))))
        self.bookings = FakeBookingStore(self.catalogue)
        self.checkouts = InMemoryCheckouts()
        self.stripe = FakePayments()
        self.mailer = FakeMailer()
        card = CardPayment(self.checkouts, self.bookings, self.catalogue, self.stripe, "https://api.example", clock)
        self.service = BookingService(self.catalogue, self.bookings, [FreeTickets(), card], clock)
        settle = HeldPlaceSettlement(self.bookings, self.bookings, self.catalogue, self.stripe)
        self.completion = CardBookingCompletion(self.checkouts, settle, FakeBusinesses(), FakeCustomers(),  # type: ignore[arg-type]
                                                lambda: self.mailer, clock)
        self.basket = BasketCheckout(None, None, self.checkouts, self.catalogue, self.bookings,  # type: ignore[arg-type]
                                     self.stripe, "https://api.example", clock)
        self.sweep = HoldReleaseSchedule(self.bookings, self.checkouts, _NoWatermark(), clock)  # type: ignore[arg-type]

    def paid(self, checkout_id: str) -> CompletedCheckout:
        return CompletedCheckout(f"cs_{checkout_id}", "biz", ANN, "booking", checkout_id, {}, 3000, "eur",
                                 payment_intent_id=f"pi_{checkout_id}")


class _NoWatermark:
    def watermark(self, name: str) -> None:
        return None

    def advance(self, name: str, to: datetime) -> None:
        pass


STEPS = st.lists(st.sampled_from(["completed", "expired", "sweep", "other_books"]), min_size=1, max_size=7)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # shared CI cores: time is not the property
@given(steps=STEPS)
def test_any_order_of_checkout_events_ends_consistent(steps):
    w = World()
    held = w.service.book(ctx(ANN), BookTickets("e1", "paid", ("Bo",)))
    checkout_id = held.settlement.ref.checkout_id  # type: ignore[union-attr]
    assert held.status is BookingStatus.HELD and held.checkout_url
    completed = False
    for step in steps:
        if step == "completed":
            w.completion.complete(w.paid(checkout_id))
            completed = True
        elif step == "expired":
            w.basket.release("biz", checkout_id)
        elif step == "sweep":
            w.now = held.hold_expires_at + timedelta(hours=1)  # type: ignore[operator]
            w.sweep.run()
        elif w.catalogue.get_entry("biz", "e1").places_left >= 2:
            w.service.book(ctx(BEN), BookTickets("e1", "free", ("Cy",)))
    entry = w.catalogue.get_entry("biz", "e1")
    live = [b for b in w.bookings.items.values() if b.status is not BookingStatus.CANCELLED]
    assert entry.booked == sum(b.seats for b in live) <= entry.capacity
    final = w.bookings.get("biz", held.booking_id).status
    if not completed:
        assert final is not BookingStatus.CONFIRMED and not w.stripe.refund_keys
        return
    refunds = set(w.stripe.refund_keys)
    assert (final, len(refunds)) in ((BookingStatus.CONFIRMED, 0), (BookingStatus.CANCELLED, 1))
    confirmations = [k for k in w.mailer.keys if "booking_confirmation" in k]
    assert len(confirmations) == (1 if final is BookingStatus.CONFIRMED else 0)
