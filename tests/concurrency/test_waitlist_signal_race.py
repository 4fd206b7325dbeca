"""Joins race cancellations on DynamoDB Local (X2): the places-freed signal is queued only when someone
waits, yet no freed place is left while someone waits once the queued signals are handled.

20 full one-place entries; on each, a join and the holder's cancellation run at once, through the real
stores and the real signal (the waiting count), the cancellation let go once the join found the entry
full and before it writes its count (the window where the cancellation reads no waiter); two workers
handle the queued promotions meanwhile. A join
that finds the place free is told to book instead; one that gets in either was counted before the
cancellation read the count, or re-reads the places after counting and signals itself. Afterwards, on
every entry: no place is free while a waiter remains, and the count equals the list.
"""
from __future__ import annotations

import queue as queues
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.bootstrap import container
from chalicelib.config import settings
from chalicelib.domain.bookings import BookingStatus
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import StaffContext
from chalicelib.domain.errors import RuleRefusedError, TransactionContendedError
from chalicelib.domain.paging import PageRequest
from chalicelib.domain.tenancy import Caller
from chalicelib.services.bookings import BookTickets
from chalicelib.services.waitlists import MESSAGE_KIND, JoinWaitlist
from tests.conftest import make_business
from tests.fakes.memberships import FakeMailer, FakeQueue

pytestmark = pytest.mark.xdist_group("dynamodb_local")

BIZ, N = "biz-signal-race", 20


class WorkedQueue(FakeQueue):
    """Records what is sent and hands promotions to the workers."""

    def __init__(self) -> None:
        super().__init__()
        self.todo: queues.Queue[dict[str, Any] | None] = queues.Queue()

    def send(self, kind: str, body: dict[str, Any], correlation_id: str | None = None) -> None:
        super().send(kind, body, correlation_id)
        if kind == MESSAGE_KIND:
            self.todo.put(body)


def test_joins_racing_cancellations_leave_no_free_place_while_someone_waits(ddb_local, monkeypatch):
    from chalicelib.adapters.dynamodb.waitlists import WaitlistRepository

    count_join = WaitlistRepository.add

    checked: dict[str, threading.Event] = {}

    def slow_join(self, waiter, starts_at):  # type: ignore[no-untyped-def]
        checked[waiter.entry_id].set()  # the join saw the entry full: its cancellation goes now
        time.sleep(0.1)  # and commits (and reads the count) before this join writes its count
        count_join(self, waiter, starts_at)

    monkeypatch.setattr(WaitlistRepository, "add", slow_join)
    queue = WorkedQueue()
    bootstrap.install(bootstrap.build(settings(), mailer=FakeMailer(), event_queue=queue))
    make_business(BIZ)
    starts = datetime.now(UTC) + timedelta(days=3)
    c = container()
    c.catalogue_store.save_page(SchedulePage(BIZ, "p1", "Classes"))
    entries = [f"e{i}" for i in range(N)]
    for entry_id in entries:
        c.catalogue_store.save_entry(Entry(BIZ, entry_id, "p1", "Yoga", starts, starts + timedelta(hours=1),
                                           capacity=1, tickets=(Ticket("t0", "Open day", 0, "EUR"),)))

    def booker(email: str):  # type: ignore[no-untyped-def]
        return c.access.booker(Caller(subject=email, email=email), BIZ, None)

    holders = [c.bookings.book(booker(f"holder{i}@x.org"), BookTickets(e, "t0")) for i, e in enumerate(entries)]
    ctx = StaffContext(c.businesses.get(BIZ), "staff-1")
    joined: dict[str, str] = {}

    checked.update({e: threading.Event() for e in entries})

    def cancel(i: int) -> None:
        checked[entries[i]].wait(timeout=10)  # the join's places check first
        c.bookings.cancel_any(ctx, holders[i].booking_id)

    def join(i: int) -> None:
        try:
            c.waitlists.join(booker(f"waiter{i}@x.org"), JoinWaitlist(entries[i], "t0"))
            joined[entries[i]] = f"waiter{i}@x.org"
        except RuleRefusedError as refusal:
            assert refusal.reason == "places_free"  # told to book instead

    failures: list[BaseException] = []

    def worker() -> None:
        while (body := queue.todo.get()) is not None:
            try:
                c.waitlist_promotion.handle(body)
            except TransactionContendedError:
                queue.todo.put(body)  # the queue redelivers a failed message
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                failures.append(exc)
            finally:
                queue.todo.task_done()
        queue.todo.task_done()

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for t in workers:
        t.start()
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            work = [pool.submit(fn, i) for i in range(N) for fn in (join, cancel)]
            for f in work:
                f.result()
        queue.todo.join()
    finally:
        for _ in workers:
            queue.todo.put(None)
        for t in workers:
            t.join(timeout=120)
    assert failures == []
    assert len(joined) == N

    for entry_id in entries:
        entry = c.catalogue_store.get_entry(BIZ, entry_id, consistent=True)
        still = [w.email for w in c.waitlist_store.entry_page(BIZ, entry_id, PageRequest(limit=10)).items]
        assert not (entry.places_left > 0 and still), (entry_id, still)
        assert c.waitlist_store.waiting(BIZ, entry_id) == len(still)
        booked = [b.booker_email for b in c.booking_store.for_entry(BIZ, entry_id)
                  if b.status is BookingStatus.CONFIRMED]
        assert booked + still == ([joined[entry_id]] if entry_id in joined else []), (entry_id, booked, still)
    promotions = sum(1 for kind, _ in queue.sent if kind == MESSAGE_KIND)
    assert promotions <= 2 * len(joined)  # only entries someone waited for were signalled
