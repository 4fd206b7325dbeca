"""S6 on DynamoDB Local: two buyers race for the last place of a 12-session course.

Every session has two places; one session already has one taken. Both checkouts open at the same
moment: each holds all twelve sessions in one transaction, so exactly one gets them all (and, paid,
is enrolled in all twelve); the other is refused before any payment, holds nothing, and no session
ends over its capacity.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.catalogue import EntryModel
from chalicelib.config import settings
from chalicelib.domain.bookings import Booking, BookingStatus, NoRef, Settlement, SettlementKind
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import BookerContext
from chalicelib.domain.courses import CourseTerms
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import RuleRefusedError, TransactionContendedError
from chalicelib.domain.memberships import Membership, PriceOption
from chalicelib.ports.payments import CompletedCheckout
from chalicelib.services.courses import CourseCheckoutStarted, CoursePurchase
from tests.conftest import make_business
from tests.fakes.memberships import FakeMailer
from tests.fakes.payments import FakePayments

pytestmark = pytest.mark.xdist_group("dynamodb_local")
BIZ = "biz-course-race"
ROUNDS = 4
SESSIONS = 12


def setup_course(c, r: int) -> tuple[str, list[str]]:
    now = datetime.now(UTC)
    c.catalogue_store.save_page(SchedulePage(BIZ, "p1", "Courses"))
    ticket = Ticket("t1", "Course place", 0, "EUR")
    entries = [Entry(BIZ, f"r{r}s{i}", "p1", "Pottery", now + timedelta(days=1 + 7 * i),
                     now + timedelta(days=1 + 7 * i, hours=1), capacity=2, series_id=f"series{r}", tickets=(ticket,))
               for i in range(SESSIONS)]
    c.catalogue_store.save_entries(entries)
    course_id = f"course{r}"
    group = c.groups.create_membership_group(BIZ, course_id, "Pottery term", "")
    c.membership_store.save(Membership(
        BIZ, course_id, "Pottery term", "", False, (), group.group_id, f"prod_{r}",
        (PriceOption("o1", "Every 4 weeks", 6000, "EUR", "week", 4, f"price_{r}"),),
        course=CourseTerms(f"series{r}", "t1", now - timedelta(days=10), now + timedelta(weeks=13))))
    # someone already holds one place of session 7: it has the course's last place
    c.booking_store.create(Booking(BIZ, f"early{r}", f"r{r}s7", "t1", f"early{r}@x.org", (),
                                   Settlement(SettlementKind.FREE, NoRef()), BookingStatus.CONFIRMED, now,
                                   entries[7].starts_at), capacity=2)
    return course_id, [e.entry_id for e in entries]


def test_two_buyers_for_the_last_place_of_a_12_session_course(ddb_local):
    make_business(BIZ)
    stripe, mailer = FakePayments(), FakeMailer()
    c = bootstrap.install(bootstrap.build(settings(), payments=stripe, mailer=mailer))
    business = c.businesses.get(BIZ)
    for r in range(ROUNDS):
        course_id, entry_ids = setup_course(c, r)
        buyers = [f"a{r}@x.org", f"b{r}@x.org"]
        start = threading.Barrier(2)

        def open_checkout(email: str, start: threading.Barrier = start,
                          course_id: str = course_id) -> CourseCheckoutStarted | Exception:
            ctx = BookerContext(business, email, email, Customer(BIZ, email))
            start.wait()
            try:
                return c.course_checkout.start(ctx, course_id, CoursePurchase())
            except (RuleRefusedError, TransactionContendedError) as exc:
                return exc

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = list(pool.map(open_checkout, buyers))
        won = [o for o in outcomes if isinstance(o, CourseCheckoutStarted)]
        lost = [o for o in outcomes if isinstance(o, Exception)]
        assert len(won) == 1 and len(lost) == 1, outcomes
        if isinstance(lost[0], RuleRefusedError):  # refused by the capacity condition: it names the session
            assert [s["entry_id"] for s in lost[0].details["sessions"]] == [f"r{r}s7"]
        loser = buyers[outcomes.index(lost[0])]
        winner = buyers[outcomes.index(won[0])]
        assert len(won[0].held_booking_ids) == SESSIONS
        # the loser was refused before paying: no checkout opened for them, no place held
        assert [req.customer_email for req in stripe.checkouts if req.metadata.get("course_id") == course_id] == [winner]
        assert not [b for b in c.booking_store.for_booker(BIZ, loser) if b.status is not BookingStatus.CANCELLED]
        booked = [EntryModel.get(BIZ, e).booked for e in entry_ids]
        assert booked == [1] * 7 + [2] + [1] * 4 and all(EntryModel.get(BIZ, e).capacity >= n for e, n in zip(entry_ids, booked, strict=True))

        # the winner pays: enrolled in all twelve, once
        request = next(req for req in stripe.checkouts if req.reference == won[0].checkout_id)
        sub_id = f"sub_{r}"
        stripe.add_subscription(sub_id, metadata={**request.metadata, "business_id": BIZ, "purpose": "course",
                                                  "reference": request.reference, "customer_email": winner},
                                start_date=1, latest_invoice=f"in_{r}")
        stripe.add_invoice(f"in_{r}", amount_paid=4500, subscription=sub_id)
        done = CompletedCheckout(f"cs_{r}", BIZ, winner, "course", won[0].checkout_id, request.metadata, 4500, "eur",
                                 provider_customer_id="cus_1", subscription_id=sub_id, invoice_id=f"in_{r}")
        c.course_completion.complete(done)
        c.course_completion.complete(done)  # redelivered
        mine = [b for b in c.booking_store.for_booker(BIZ, winner) if b.status is BookingStatus.CONFIRMED]
        assert sorted(b.entry_id for b in mine) == sorted(entry_ids)
        assert [e.email for e in c.enrolment_store.roster(BIZ, course_id)] == [winner]
        assert stripe.subs[sub_id]["cancel_at"] == int(c.membership_store.get(BIZ, course_id).course.ends_at.timestamp())
        assert [EntryModel.get(BIZ, e).booked for e in entry_ids] == booked
