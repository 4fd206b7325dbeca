"""50 cancellations race 50 waiters on DynamoDB Local (X2): every freed place is used exactly once.

A full entry of 50 places and 50 waiters paying with a pass (2 uses each, so a waiter booked twice
would show as 2 uses taken). 50 cancellations run at once; each queues a promotion signal, delivered
twice (at least once, like SQS) to 4 workers running concurrently with the cancellations. Afterwards:
50 places booked, each waiter booked once with one pass use, the list empty, one email per waiter.
"""
from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.catalogue import EntryModel
from chalicelib.adapters.dynamodb.passes import PassModel
from chalicelib.bootstrap import container
from chalicelib.config import settings
from chalicelib.domain.bookings import BookingStatus
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import StaffContext
from chalicelib.domain.errors import TransactionContendedError
from chalicelib.domain.paging import PageRequest
from chalicelib.domain.passes import Eligibility, ExpiryKind, ExpiryRule, Pass, pass_id_for
from chalicelib.domain.tenancy import Caller
from chalicelib.services.bookings import BookTickets
from chalicelib.services.waitlists import JoinWaitlist
from tests.conftest import make_business
from tests.fakes.memberships import FakeMailer, FakeQueue

pytestmark = pytest.mark.xdist_group("dynamodb_local")

BIZ, N = "biz-wait-race", 50


def test_fifty_cancellations_race_fifty_waiters(ddb_local):
    signals: queue.Queue[dict[str, str] | None] = queue.Queue()

    def places_freed(business_id: str, entry_id: str) -> None:
        for _ in range(2):  # at-least-once delivery: every signal arrives twice
            signals.put({"business_id": business_id, "entry_id": entry_id})

    mailer = FakeMailer()
    bootstrap.install(bootstrap.build(settings(), places_freed=places_freed, mailer=mailer, event_queue=FakeQueue()))
    make_business(BIZ)
    now = datetime.now(UTC)
    starts = now + timedelta(days=3)
    c = container()
    c.catalogue_store.save_page(SchedulePage(BIZ, "p1", "Classes"))
    c.catalogue_store.save_entry(Entry(BIZ, "e1", "p1", "Yoga", starts, starts + timedelta(hours=1), capacity=N,
                                       tickets=(Ticket("t0", "Open day", 0, "EUR"), Ticket("t1", "Drop-in", 1500, "EUR"))))

    def booker(email: str):  # type: ignore[no-untyped-def]
        return c.access.booker(Caller(subject=email, email=email), BIZ, None)

    holders = [c.bookings.book(booker(f"holder{i}@x.org"), BookTickets("e1", "t0")) for i in range(N)]
    waiters = [f"waiter{i}@x.org" for i in range(N)]
    for email in waiters:
        c.passes.passes.issue(Pass(BIZ, email, pass_id_for(now - timedelta(days=1), email), "prod", "2 classes",
                                   uses_total=2, uses_taken=0, eligibility=Eligibility(ticket_ids=("t1",)),
                                   expiry=ExpiryRule(ExpiryKind.DAYS_FROM_FIRST_USE, days=30),
                                   purchased_at=now - timedelta(days=1)))
        c.waitlists.join(booker(email), JoinWaitlist("e1", "t1", pay_with="pass"))
    assert EntryModel.get(BIZ, "e1").booked == N and signals.empty()

    failures: list[BaseException] = []

    def worker() -> None:
        while (body := signals.get()) is not None:
            try:
                c.waitlist_promotion.handle(body)
            except TransactionContendedError:
                signals.put(body)  # the queue redelivers a failed message
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                failures.append(exc)
            finally:
                signals.task_done()
        signals.task_done()

    workers = [threading.Thread(target=worker) for _ in range(4)]
    for t in workers:
        t.start()
    ctx = StaffContext(c.businesses.get(BIZ), "staff-1")
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda b: c.bookings.cancel_any(ctx, b.booking_id), holders))
        signals.join()  # every signal (and redelivery) handled
    finally:
        for _ in workers:
            signals.put(None)
        for t in workers:
            t.join(timeout=120)

    assert failures == []
    assert EntryModel.get(BIZ, "e1").booked == N
    live = [b for b in c.booking_store.for_entry(BIZ, "e1") if b.status is BookingStatus.CONFIRMED]
    assert sorted(b.booker_email for b in live) == sorted(waiters)  # each waiter once, nobody else
    assert all(PassModel.query(f"{BIZ}#{email}").next().uses_taken == 1 for email in waiters)
    assert c.waitlist_store.entry_page(BIZ, "e1", PageRequest(limit=100)).items == []
    assert sorted(to for template, to, _, _ in mailer.outbox if template == "waitlist_promoted") == sorted(waiters)

