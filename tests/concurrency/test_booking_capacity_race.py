"""50 bookers race for the last K places on DynamoDB Local: exactly K win, the count stays exact."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.adapters.dynamodb.catalogue import EntryModel
from chalicelib.bootstrap import container
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import BookerContext
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import ConflictError
from chalicelib.services.bookings import BookTickets
from tests.conftest import make_business

pytestmark = pytest.mark.xdist_group("dynamodb_local")


def test_fifty_concurrent_bookings_for_three_places(ddb_local):
    make_business("biz-race")
    starts = datetime.now(timezone.utc) + timedelta(days=3)
    entry = Entry("biz-race", "e1", "p1", "Last places", starts, starts + timedelta(hours=1), capacity=10, booked=7,
                  tickets=(Ticket("t1", "Free", 0, "EUR"),))
    container().catalogue_store.save_page(SchedulePage("biz-race", "p1", "Classes"))  # bookings need a published page
    container().catalogue_store.save_entry(entry)
    business = container().businesses.get("biz-race")
    services = container().bookings

    def attempt(i: int) -> str:
        email = f"b{i}@x.org"
        ctx = BookerContext(business, f"b{i}", email, Customer("biz-race", email))
        try:
            services.book(ctx, BookTickets(entry_id="e1", ticket_id="t1"))
            return "ok"
        except ConflictError as exc:
            return exc.details.get("reason") or exc.code

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(50)))

    assert outcomes.count("ok") == 3, outcomes
    assert set(outcomes) - {"ok"} <= {"no_places_left", "busy"}
    assert EntryModel.get("biz-race", "e1").booked == 10
    assert len(container().booking_store.for_entry("biz-race", "e1")) == 3
