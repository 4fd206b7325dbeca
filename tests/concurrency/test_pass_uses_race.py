"""50 concurrent bookings against a pass with 2 uses left, on DynamoDB Local: exactly 2 win (P4).

The use and the place are one transaction, so the count of confirmed bookings, the pass's uses
taken and the entry's booked places must all agree afterwards.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.dynamodb.catalogue import EntryModel
from chalicelib.adapters.dynamodb.passes import PassModel
from chalicelib.bootstrap import container
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.passes import Eligibility, ExpiryKind, ExpiryRule, Pass, pass_id_for
from chalicelib.domain.tenancy import Caller
from chalicelib.services.bookings import BookTickets
from tests.conftest import make_business

pytestmark = pytest.mark.xdist_group("dynamodb_local")

EMAIL = "racer@example.com"


def test_fifty_concurrent_bookings_against_two_uses_left(ddb_local):
    make_business("biz-pass-race")
    now = datetime.now(UTC)
    starts = now + timedelta(days=3)
    entry = Entry("biz-pass-race", "e1", "p1", "Yoga", starts, starts + timedelta(hours=1), capacity=100,
                  tickets=(Ticket("t1", "Drop-in", 1500, "EUR"),))
    container().catalogue.catalogue.save_page(SchedulePage("biz-pass-race", "p1", "Classes"))  # bookings need a published page
    container().catalogue.catalogue.save_entry(entry)
    pass_id = pass_id_for(now - timedelta(days=1), "race")
    container().passes.passes.issue(Pass(
        "biz-pass-race", EMAIL, pass_id, "prod", "10 classes", uses_total=10, uses_taken=8,
        eligibility=Eligibility(ticket_ids=("t1",)), expiry=ExpiryRule(ExpiryKind.DAYS_FROM_FIRST_USE, days=30),
        purchased_at=now - timedelta(days=1),
    ))
    bookings = container().bookings
    booker = container().access.booker(Caller(subject="racer", email=EMAIL), "biz-pass-race", None)

    def attempt(_: int) -> str:
        try:
            bookings.book(booker, BookTickets(entry_id="e1", ticket_id="t1", pay_with="pass"))
            return "ok"
        except ConflictError as exc:
            return exc.details.get("reason") or exc.code

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(50)))

    assert outcomes.count("ok") == 2, outcomes
    assert set(outcomes) - {"ok"} <= {"pass_used_up", "busy"}, outcomes
    stored = PassModel.get(f"biz-pass-race#{EMAIL}", pass_id)
    assert stored.uses_taken == 10 and stored.first_used_at is not None
    assert EntryModel.get("biz-pass-race", "e1").booked == 2
    confirmed = [b for b in bookings.bookings.for_booker("biz-pass-race", EMAIL) if b.status.value == "confirmed"]
    assert len(confirmed) == 2 and {b.settlement.ref.pass_id for b in confirmed} == {pass_id}
