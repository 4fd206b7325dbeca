"""Waitlists (X2) on in-memory fakes: joining, places in line, reordering, and promotion's choices."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.bookings import BookingStatus, CardPaymentRef, PassUseRef, Settlement, SettlementKind
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import BookerContext, StaffContext
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import ConflictError, InvalidInputError, NotFoundError, RuleRefusedError
from chalicelib.domain.paging import PageRequest
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.services.bookings import BookingService, BookTickets, FreeTickets, SettledAtOnce
from chalicelib.services.waitlist_promotion import WaitlistPromotion
from chalicelib.services.waitlists import JoinWaitlist, MoveWaiter, RemoveWaiter, WaitlistService
from tests.fakes.core import CountedUses, FakeBookingStore, FakeBusinessStore, FakeCatalogueStore
from tests.fakes.memberships import FakeMailer
from tests.fakes.waitlists import FakeWaitlistStore

NOW = datetime(2030, 1, 1, 9, tzinfo=UTC)
BIZ = Business("biz", "Studio", Plan.STANDARD, "Europe/Berlin")
STAFF = StaffContext(BIZ, "staff-1")
ANN, BEN, CAT, DAN, ZED = "ann@x.org", "ben@x.org", "cat@x.org", "dan@x.org", "zed@x.org"


class PassUse(SettledAtOnce):
    def applies(self, ticket: Ticket, pay_with: str) -> bool:
        return pay_with == "pass"

    def settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int) -> Settlement:
        return Settlement(SettlementKind.PASS, PassUseRef(pass_id="p1", title="5 classes", revision=1, uses_total=5))


class BrokenCard(SettledAtOnce):
    """A card method whose checkout never opens (the real one gives the place back, as here)."""

    def __init__(self, store: FakeBookingStore) -> None:
        self.store = store

    def applies(self, ticket: Ticket, pay_with: str) -> bool:
        return pay_with == "card"

    def settle(self, business: Business, entry: Entry, ticket: Ticket, email: str, seats: int) -> Settlement:
        return Settlement(SettlementKind.CARD, CardPaymentRef("c1"), BookingStatus.HELD)

    def booked(self, business, entry, ticket, booking):  # type: ignore[no-untyped-def]
        self.store.cancel(booking, NOW, give_back_use=False, only_if=BookingStatus.HELD)
        raise RuntimeError("stripe is down")


def booker(email: str) -> BookerContext:
    return BookerContext(BIZ, f"sub-{email}", email, Customer("biz", email))


@pytest.fixture
def world():
    catalogue = FakeCatalogueStore()
    uses = {ANN: 1}
    store = FakeBookingStore(catalogue, {SettlementKind.PASS: CountedUses(
        uses, lambda: RuleRefusedError("no_uses_left", "No uses left on this pass."))})
    catalogue.save_page(SchedulePage("biz", "p1", "Classes"))
    catalogue.save_entry(Entry("biz", "e1", "p1", "Yoga", NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1),
                               capacity=1, tickets=(Ticket("t1", "Free", 0, "EUR"),)))
    bookings = BookingService(catalogue, store, [FreeTickets(), PassUse(), BrokenCard(store)], clock=lambda: NOW)
    waitlist = FakeWaitlistStore(store)
    ticks = iter(range(1, 10_000))
    waitlists = WaitlistService(catalogue, waitlist, bookings, clock=lambda: NOW + timedelta(seconds=next(ticks)))
    mailer = FakeMailer()
    promotion = WaitlistPromotion(catalogue, waitlist, bookings, FakeBusinessStore(BIZ), lambda: mailer,
                                  clock=lambda: NOW)
    full = bookings.book(booker(ZED), BookTickets("e1", "t1"))
    return {"bookings": bookings, "waitlists": waitlists, "promotion": promotion, "mailer": mailer, "uses": uses,
            "store": store, "waitlist": waitlist, "catalogue": catalogue, "full": full}


def join(w, email: str, **extra):  # type: ignore[no-untyped-def]
    return w["waitlists"].join(booker(email), JoinWaitlist("e1", "t1", **extra))


def line(w) -> list[str]:  # type: ignore[no-untyped-def]
    return [x.email for x in w["waitlists"].for_entry(STAFF, "e1", PageRequest()).items]


def mails(w, template: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [to for t, to, _, _ in w["mailer"].outbox if t == template]


def test_joining_is_for_full_entries_once_per_booker_and_with_a_payment_that_applies(world):
    w = world
    w["bookings"].cancel_any(STAFF, w["full"].booking_id)
    with pytest.raises(RuleRefusedError) as free:
        join(w, ANN)
    assert free.value.reason == "places_free"
    w["bookings"].book(booker(ZED), BookTickets("e1", "t1"))
    assert join(w, ANN).place == 1
    with pytest.raises(ConflictError) as twice:
        join(w, ANN)
    assert twice.value.code == "already_waiting"
    with pytest.raises(RuleRefusedError) as offer:
        join(w, BEN, pay_with="offer")
    assert offer.value.reason == "offer_not_for_ticket"
    with pytest.raises(RuleRefusedError) as too_big:
        join(w, BEN, participants=("Bo",))
    assert too_big.value.reason == "more_than_capacity"
    assert join(w, BEN).place == 2 and line(w) == [ANN, BEN]


def test_promotion_skips_who_cannot_pay_books_the_first_who_can_and_keeps_the_rest(world):
    w = world
    join(w, ANN, pay_with="pass")
    join(w, BEN)
    join(w, CAT)
    w["uses"][ANN] = 0  # the pass was used up elsewhere meanwhile
    w["bookings"].cancel_any(STAFF, w["full"].booking_id)

    done = w["promotion"].promote("biz", "e1")
    assert done.skipped == ((ANN, "no_uses_left"),) and [b.booker_email for b in done.bookings] == [BEN]
    assert [b.status for b in w["store"].for_booker("biz", BEN)] == [BookingStatus.CONFIRMED]
    assert w["catalogue"].get_entry("biz", "e1").booked == 1
    assert line(w) == [CAT] and w["waitlists"].my_place(booker(CAT), "e1").place == 1
    assert mails(w, "waitlist_promoted") == [BEN] and mails(w, "waitlist_skipped") == [ANN]
    skipped_context = next(c for t, _, c, _ in w["mailer"].outbox if t == "waitlist_skipped")
    assert skipped_context["reason_code"] == "no_uses_left" and skipped_context["starts_at"] == "Wed 2 Jan, 10:00"

    again = w["promotion"].promote("biz", "e1")  # a redelivered signal: no place left, nothing happens
    assert again.bookings == () and again.skipped == () and len(w["mailer"].outbox) == 2 and line(w) == [CAT]


def test_a_waiter_needing_more_places_than_are_free_stays_first(world):
    w = world
    w["catalogue"].save_entry(replace(w["catalogue"].get_entry("biz", "e1"), capacity=2, booked=2))
    join(w, DAN, participants=("Di",))
    join(w, BEN)
    w["bookings"].cancel_any(STAFF, w["full"].booking_id)
    assert [b.booker_email for b in w["promotion"].promote("biz", "e1").bookings] == [BEN]
    assert line(w) == [DAN]


def test_every_free_place_is_filled_by_one_signal_even_under_contention(world):
    w = world
    for email in (ANN, BEN, CAT):
        join(w, email)
    w["catalogue"].update_entry(w["catalogue"].get_entry("biz", "e1"),
                                replace(w["catalogue"].get_entry("biz", "e1"), capacity=3))
    w["store"].contend_next = 2  # two writes lose to another transaction first
    assert [b.booker_email for b in w["promotion"].promote("biz", "e1").bookings] == [ANN, BEN]
    assert line(w) == [CAT] and w["catalogue"].get_entry("biz", "e1").booked == 3


def test_a_card_waiter_whose_checkout_cannot_open_is_told_and_the_place_goes_on(world):
    w = world
    join(w, ANN, pay_with="card")
    join(w, BEN)
    w["bookings"].cancel_any(STAFF, w["full"].booking_id)
    done = w["promotion"].promote("biz", "e1")
    assert done.skipped == ((ANN, "checkout_unavailable"),) and [b.booker_email for b in done.bookings] == [BEN]
    assert mails(w, "waitlist_skipped") == [ANN] and line(w) == []


def test_staff_reorder_and_remove_bookers_see_their_place_and_leave(world):
    w = world
    for email in (ANN, BEN, CAT):
        join(w, email)
    s = w["waitlists"]
    assert s.move(STAFF, "e1", MoveWaiter(CAT, 1)).place == 1 and line(w) == [CAT, ANN, BEN]
    assert s.move(STAFF, "e1", MoveWaiter(CAT, 99)).place == 3 and line(w) == [ANN, BEN, CAT]
    s.move(STAFF, "e1", MoveWaiter(CAT, 2))
    assert line(w) == [ANN, CAT, BEN] and s.my_place(booker(BEN), "e1").place == 3
    # Neighbours on adjacent numbers: those ahead are spread out, the order is what staff asked.
    for email, position in ((ANN, 10), (CAT, 11), (BEN, 12)):
        w["waitlist"].items[("biz", "e1", email)] = replace(w["waitlist"].items[("biz", "e1", email)], position=position)
    s.move(STAFF, "e1", MoveWaiter(BEN, 2))
    assert line(w) == [ANN, BEN, CAT]
    with pytest.raises(InvalidInputError):
        s.move(STAFF, "e1", MoveWaiter(BEN, 0))
    assert s.remove(STAFF, "e1", RemoveWaiter(" BEN@x.org ")).email == BEN and line(w) == [ANN, CAT]
    assert s.leave(booker(ANN), "e1").email == ANN and line(w) == [CAT]
    with pytest.raises(NotFoundError):
        s.leave(booker(ANN), "e1")
    assert [x.place for x in s.mine(booker(CAT), PageRequest()).items] == [1]


def test_a_card_waiter_whose_worker_died_before_the_checkout_gets_the_place_back_to_the_list_after_a_grace(world):
    w = world
    join(w, ANN, pay_with="card")
    join(w, BEN)
    waiter = w["waitlist"].find("biz", "e1", ANN)
    w["bookings"].cancel_any(STAFF, w["full"].booking_id)
    entry = w["catalogue"].get_entry("biz", "e1")
    held = replace(w["full"], booking_id="held-1", booker_email=ANN, status=BookingStatus.HELD, created_at=NOW,
                   settlement=Settlement(SettlementKind.CARD, CardPaymentRef("c1"), BookingStatus.HELD))
    w["waitlist"].book(waiter, held, capacity=entry.capacity, booker_cap=None)  # then the worker died

    w["promotion"].promote("biz", "e1")  # a second worker at once: it may still be opening the checkout
    assert w["store"].get("biz", "held-1").status is BookingStatus.HELD and mails(w, "waitlist_skipped") == []

    w["promotion"].clock = lambda: NOW + timedelta(minutes=6)
    for _ in range(2):  # and redelivered
        w["promotion"].promote("biz", "e1")
    assert w["store"].get("biz", "held-1").status is BookingStatus.CANCELLED
    assert mails(w, "waitlist_skipped") == [ANN] and mails(w, "waitlist_promoted") == [BEN]
    assert w["waitlist"].awaiting_mail("biz", "e1") == []
