"""S5 on DynamoDB Local: a left session booked again twice at once with the one credit leaving gave back.

Both attempts read the same returned credit; the new place's id is made from that credit, so the booking
transaction's ``booking_id does not exist`` condition lets exactly one write. The session ends with one place
taken (not two), and the other attempt is refused (``duplicate_booking``) having written nothing.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.catalogue import EntryModel
from chalicelib.config import settings
from chalicelib.domain.bookings import Booking, BookingStatus
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import BookerContext, StaffContext
from chalicelib.domain.courses import CourseTerms
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import ConflictError, TransactionContendedError
from chalicelib.domain.memberships import Membership, PriceOption
from tests.conftest import make_business
from tests.fakes.memberships import FakeMailer
from tests.fakes.payments import FakePayments

pytestmark = pytest.mark.xdist_group("dynamodb_local")
BIZ = "biz-course-rejoin"
ROUNDS = 4


def test_one_credit_books_a_left_session_again_once(ddb_local):
    make_business(BIZ)
    c = bootstrap.install(bootstrap.build(settings(), payments=FakePayments(), mailer=FakeMailer()))
    business = c.businesses.get(BIZ)
    now = datetime.now(UTC)
    c.catalogue_store.save_page(SchedulePage(BIZ, "p1", "Courses"))
    for r in range(ROUNDS):
        entries = [Entry(BIZ, f"r{r}s{i}", "p1", "Pottery", now + timedelta(days=1 + 7 * i),
                         now + timedelta(days=1 + 7 * i, hours=1), capacity=5, series_id=f"series{r}",
                         tickets=(Ticket("t1", "Course place", 0, "EUR"),)) for i in range(3)]
        c.catalogue_store.save_entries(entries)
        course_id, email = f"course{r}", f"b{r}@x.org"
        c.membership_store.save(Membership(
            BIZ, course_id, "Pottery term", "", False, (), f"g{r}", f"prod_{r}",
            (PriceOption("o1", "Every 4 weeks", 6000, "EUR", "week", 4, f"price_{r}"),),
            course=CourseTerms(f"series{r}", "t1", now - timedelta(days=10), now + timedelta(weeks=4))))
        c.course_enrolment.enrol_by_hand(StaffContext(business, "staff@x.org"), course_id, email)
        ctx = BookerContext(business, email, email, Customer(BIZ, email))
        c.course_enrolment.leave_session(ctx, course_id, f"r{r}s1")
        assert EntryModel.get(BIZ, f"r{r}s1").booked == 0
        start = threading.Barrier(2)

        def rejoin(_: int, start: threading.Barrier = start, ctx: BookerContext = ctx,
                   course_id: str = course_id, r: int = r) -> Booking | Exception:
            start.wait()
            try:
                return c.course_enrolment.rejoin_session(ctx, course_id, f"r{r}s1")
            except (ConflictError, TransactionContendedError) as exc:
                return exc

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = list(pool.map(rejoin, range(2)))
        won = [o for o in outcomes if isinstance(o, Booking)]
        assert len(won) == 1, outcomes
        assert EntryModel.get(BIZ, f"r{r}s1").booked == 1
        held = [b for b in c.booking_store.for_booker(BIZ, email) if b.entry_id == f"r{r}s1"
                and b.status is BookingStatus.CONFIRMED]
        assert [b.booking_id for b in held] == [won[0].booking_id]
