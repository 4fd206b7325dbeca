"""B7 on DynamoDB Local: basket places confirmed with the new member's offer use while the member books
member tickets at the same moment. The use and the confirmation are one transaction, so the counter
never goes past the allowance and every use counted is a booking paid by it."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.dynamodb.groups import GroupMemberModel, raw_usage
from chalicelib.bootstrap import container
from chalicelib.domain.bookings import Booking, BookingStatus, CardPaymentRef, Settlement, SettlementKind
from chalicelib.domain.errors import ConflictError, TransactionContendedError
from chalicelib.domain.tenancy import Caller
from chalicelib.ports.payments import CompletedCheckout
from chalicelib.services.bookings import BookTickets
from tests.concurrency.test_offer_use_race import MEMBER, setup

pytestmark = pytest.mark.xdist_group("dynamodb_local")
HELD = 10


def hold_basket() -> list[str]:
    store, now = container().booking_store, datetime.now(UTC)
    ids = []
    for i in range(HELD):
        booking = Booking("biz-race", f"basket-{i}", "e1", "t1", MEMBER, (),
                          Settlement(SettlementKind.CARD, CardPaymentRef("chk-1"), BookingStatus.HELD),
                          BookingStatus.HELD, now, now + timedelta(days=3), hold_expires_at=now + timedelta(minutes=30))
        store.create(booking, capacity=100)
        ids.append(booking.booking_id)
    return ids


def test_basket_confirmations_and_own_bookings_race_for_three_uses(ddb_local):
    gid = setup(uses_per_month=3, stored=None)
    basket = hold_basket()
    completion = container().checkout_completion
    done = CompletedCheckout("cs_1", "biz-race", MEMBER, "membership", "chk-1", {}, 0, "eur")
    booker = container().access.booker(Caller("m", email=MEMBER), "biz-race", None)

    def confirm(booking_id: str) -> str:
        for _ in range(20):  # as SQS redelivers a completion whose transaction was contended
            try:
                confirmed = completion.settle_held.confirm(done, booking_id, completion._member_use)
                return confirmed.settlement.kind.value if confirmed else "gone"
            except TransactionContendedError:
                continue
        return "contended"

    def book(_: int) -> str:
        try:
            container().bookings.book(booker, BookTickets(entry_id="e1", ticket_id="t1"))
            return "ok"
        except ConflictError as exc:
            return exc.details.get("reason") or exc.code

    with ThreadPoolExecutor(max_workers=16) as pool:  # interleaved: confirmations and own bookings at once
        futures = [f for i, bid in enumerate(basket) for f in (pool.submit(confirm, bid), pool.submit(book, i))]
        results = [f.result() for f in futures]
    confirmed, own = results[0::2], results[1::2]
    with_use = confirmed.count("offer")
    assert set(confirmed) <= {"offer", "card"} and len(confirmed) == HELD, confirmed  # every place confirmed
    assert with_use + own.count("ok") == 3, (confirmed, own)
    [counter] = raw_usage(GroupMemberModel.get(gid, MEMBER)).values()
    assert counter["used"] == 3
