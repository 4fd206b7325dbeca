"""B1 on DynamoDB Local: two late payments race for the last place → one booking, one refund.

Both bookers' holds were released (their checkouts expired) before their payments arrived; the two
completions then run at the same moment. The re-take is one conditional transaction on the entry's
count, so exactly one wins the place and the other's ticket is refunded; the count stays exact.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.catalogue import EntryModel
from chalicelib.config import settings
from chalicelib.domain.bookings import BookingStatus
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import BookerContext
from chalicelib.domain.customers import Customer
from chalicelib.ports.payments import CompletedCheckout
from chalicelib.services.bookings import BookTickets
from tests.conftest import make_business
from tests.fakes.memberships import FakeMailer
from tests.fakes.payments import FakePayments

pytestmark = pytest.mark.xdist_group("dynamodb_local")
ROUNDS = 5


def test_two_late_payments_for_the_last_place(ddb_local):
    make_business("biz-late")
    stripe, mailer = FakePayments(), FakeMailer()
    c = bootstrap.install(bootstrap.build(settings(), payments=stripe, mailer=mailer))
    business = c.businesses.get("biz-late")
    starts = datetime.now(UTC) + timedelta(days=3)
    for r in range(ROUNDS):
        entry_id = f"e{r}"
        c.catalogue_store.save_page(SchedulePage("biz-late", "p1", "Classes"))
        c.catalogue_store.save_entry(Entry("biz-late", entry_id, "p1", "Last place", starts, starts + timedelta(hours=1),
                                           capacity=1, tickets=(Ticket("t1", "Drop-in", 1500, "EUR"),)))
        paid: list[CompletedCheckout] = []
        for email in (f"a{r}@x.org", f"b{r}@x.org"):
            ctx = BookerContext(business, email, email, Customer("biz-late", email))
            held = c.bookings.book(ctx, BookTickets(entry_id, "t1"))
            checkout_id = held.settlement.ref.checkout_id  # type: ignore[union-attr]
            c.membership_checkout.release("biz-late", checkout_id)  # the "expired" event came first
            paid.append(CompletedCheckout(f"cs_{checkout_id}", "biz-late", email, "booking", checkout_id, {}, 1500, "eur",
                                          payment_intent_id=f"pi_{checkout_id}"))
        assert EntryModel.get("biz-late", entry_id).booked == 0
        start = threading.Barrier(2)

        def complete(done: CompletedCheckout, start: threading.Barrier = start) -> None:
            start.wait()
            c.card_booking_completion.complete(done)

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(complete, paid))

        bookings = c.booking_store.for_entry("biz-late", entry_id)
        assert sorted(b.status for b in bookings) == [BookingStatus.CANCELLED, BookingStatus.CONFIRMED]
        assert EntryModel.get("biz-late", entry_id).booked == 1
    assert len(stripe.refunds) == ROUNDS and {amount for _, _, amount in stripe.refunds} == {1500}
    assert sum("booking_confirmation" in k for k in mailer.keys) == ROUNDS
