"""C1 kinds and additional users, C6 deletion, on in-memory fakes."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.bookings import Booking, BookingStatus, Settlement, SettlementKind
from chalicelib.domain.catalogue import Entry, SchedulePage, Ticket
from chalicelib.domain.context import BookerContext, StaffContext
from chalicelib.domain.courses import Enrolment
from chalicelib.domain.customers import Customer, CustomerKind
from chalicelib.domain.errors import ConflictError, ForbiddenError, NotFoundError
from chalicelib.domain.paging import PageRequest
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.services.bookings import BookingService, BookTickets, FreeTickets
from chalicelib.services.customer_deletion import MOVE_KIND, CustomerDeletion
from chalicelib.services.customers import CustomerService, NewAdditionalUser
from tests.fakes.core import FakeBookingStore, FakeCatalogueStore
from tests.fakes.customers import CrashError, FakeAccountHistory, FakeCustomerRecords
from tests.fakes.memberships import FakeQueue

NOW = datetime(2030, 1, 1, 9, tzinfo=UTC)
BIZ = Business("biz", "Studio", Plan.STANDARD, "Europe/Berlin")
STAFF = StaffContext(BIZ, "staff-1")
PRIMARY = Customer("biz", "pat@example.com", kind=CustomerKind.PRIMARY)
HELPER = Customer("biz", "hal@example.com", kind=CustomerKind.ADDITIONAL_USER, primary_email=PRIMARY.email)
APP_USER = Customer("biz", "amy@example.com", kind=CustomerKind.APP_USER)


class NoLinks:
    def __init__(self) -> None:
        self.unlinked: list[str] = []

    def unlink(self, business_id: str, email: str) -> None:
        self.unlinked.append(email)


def as_booker(customer: Customer) -> BookerContext:
    """What ``AccessService.booker`` resolves: the account is the primary's for an additional user."""
    return BookerContext(BIZ, f"sub-{customer.email}", customer.email, customer, account_email=customer.account_email)


@pytest.fixture
def world():
    records = FakeCustomerRecords(PRIMARY, HELPER, APP_USER)
    catalogue = FakeCatalogueStore()
    catalogue.save_page(SchedulePage("biz", "p1", "Classes"))
    catalogue.save_entry(Entry("biz", "e1", "p1", "Yoga", NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1),
                               capacity=50, tickets=(Ticket("t1", "Free", 0, "EUR"),)))
    bookings = FakeBookingStore(catalogue)
    service = BookingService(catalogue, bookings, [FreeTickets()], clock=lambda: NOW, kinds=records)
    return records, bookings, service


def test_a_free_booking_makes_an_app_user_primary_with_one_write(world):
    records, _, service = world
    service.book(as_booker(APP_USER), BookTickets("e1", "t1"))
    assert records.get("biz", APP_USER.email).kind is CustomerKind.PRIMARY
    service.book(as_booker(records.get("biz", APP_USER.email)), BookTickets("e1", "t1"))
    assert records.promotions == 1  # a primary booking again writes no kind


def test_an_additional_users_booking_belongs_to_the_primary_account(world):
    records, _, service = world
    booking = service.book(as_booker(HELPER), BookTickets("e1", "t1"))
    assert booking.booker_email == PRIMARY.email
    assert [b.booking_id for b in service.mine(as_booker(PRIMARY), PageRequest(100)).items] == [booking.booking_id]
    assert service.get_for_booker(as_booker(HELPER), booking.booking_id) == booking  # sees the account's
    assert records.get("biz", HELPER.email).kind is CustomerKind.ADDITIONAL_USER
    assert service.mine(as_booker(APP_USER), PageRequest(100)).items == []


def test_a_primary_customer_invites_an_additional_user():
    records, links = FakeCustomerRecords(PRIMARY, APP_USER), NoLinks()
    service = CustomerService(records, links, clock=lambda: NOW)
    new = service.invite_additional_user(as_booker(PRIMARY), NewAdditionalUser("New@Example.com", "Ned"))
    assert (new.email, new.kind, new.primary_email) == ("new@example.com", CustomerKind.ADDITIONAL_USER, PRIMARY.email)
    converted = service.invite_additional_user(as_booker(PRIMARY), NewAdditionalUser(APP_USER.email))
    assert converted.kind is CustomerKind.ADDITIONAL_USER and APP_USER.email in links.unlinked
    assert records.get("biz", APP_USER.email).account_email == PRIMARY.email


@pytest.mark.parametrize("inviter, invitee, error, code", [
    (APP_USER, "x@example.com", ForbiddenError, "not_a_primary_customer"),
    (HELPER, "x@example.com", ForbiddenError, "not_a_primary_customer"),
    (PRIMARY, HELPER.email, ConflictError, "already_a_customer"),
    (PRIMARY, PRIMARY.email, Exception, "invalid_input"),
])
def test_who_may_invite_whom(inviter, invitee, error, code):
    service = CustomerService(FakeCustomerRecords(PRIMARY, HELPER, APP_USER), NoLinks(), clock=lambda: NOW)
    with pytest.raises(error) as raised:
        service.invite_additional_user(as_booker(inviter), NewAdditionalUser(invitee))
    assert raised.value.code == code


def booked(bookings: FakeBookingStore, owner: str, n: int) -> None:
    for i in range(n):
        bookings.items[("biz", f"b{i:05d}")] = Booking(
            "biz", f"b{i:05d}", "e1", "t1", owner, (), Settlement(SettlementKind.FREE), BookingStatus.CONFIRMED,
            NOW, NOW + timedelta(days=1))


def deletion(records, bookings, crash_after=None):
    queue, history = FakeQueue(), FakeAccountHistory(bookings, crash_after)
    return CustomerDeletion(records, records, history, lambda: queue, NoLinks(), per_transaction=25,
                            per_message=4), queue, history


def drain(service: CustomerDeletion, queue: FakeQueue) -> int:
    deliveries = 0
    while queue.sent:
        kind, body = queue.sent.pop(0)
        assert kind == MOVE_KIND
        try:
            service.move_history(body)
        except CrashError:
            queue.sent.append((kind, body))  # not acknowledged: SQS delivers it again
        deliveries += 1
    return deliveries


def test_primary_customers_cannot_be_deleted(world):
    records, bookings, _ = world
    service, _, _ = deletion(records, bookings)
    with pytest.raises(ConflictError) as refused:
        service.delete(STAFF, PRIMARY.email)
    assert refused.value.code == "primary_customer_not_deletable" and refused.value.status == 409
    assert records.find("biz", PRIMARY.email) is not None


def test_an_app_user_is_deleted_at_once(world):
    records, bookings, _ = world
    service, queue, _ = deletion(records, bookings)
    assert service.delete(STAFF, APP_USER.email).state == "deleted"
    assert records.find("biz", APP_USER.email) is None and queue.sent == []
    with pytest.raises(NotFoundError):
        service.delete(STAFF, APP_USER.email)


def test_deleting_an_additional_user_moves_every_booking_in_bounded_transactions(world):
    records, bookings, _ = world
    booked(bookings, HELPER.email, 1_010)
    service, queue, history = deletion(records, bookings)
    started = service.delete(STAFF, HELPER.email)
    assert (started.state, started.moved_to) == ("moving_history", PRIMARY.email)
    assert records.get("biz", HELPER.email).deleting  # refused from now on, still visible to staff
    deliveries = drain(service, queue)
    assert all(b.booker_email == PRIMARY.email for b in bookings.items.values()) and len(bookings.items) == 1_010
    assert records.find("biz", HELPER.email) is None
    # 41 that move bookings, then one empty read per stage (bookings, passes, payments, enrolments): 45, 4 per message
    assert history.largest == 25 and deliveries == 12


def test_a_move_that_crashes_resumes_from_what_is_left(world):
    records, bookings, _ = world
    booked(bookings, HELPER.email, 300)
    service, queue, history = deletion(records, bookings, crash_after=6)
    service.delete(STAFF, HELPER.email)
    drain(service, queue)
    owners = {b.booker_email for b in bookings.items.values()}
    assert owners == {PRIMARY.email} and len(bookings.items) == 300
    assert records.find("biz", HELPER.email) is None
    again = replace(HELPER)  # a redelivery after the record is gone does nothing
    service.move_history({"business_id": "biz", "email": again.email, "primary_email": PRIMARY.email})


def test_deleting_an_additional_user_moves_their_pass_purchases_and_payments_too(world):
    from chalicelib.domain.passes import Eligibility, ExpiryKind, ExpiryRule, Pass
    from chalicelib.domain.payments import PaymentKind, PaymentRecord

    records, bookings, _ = world
    booked(bookings, HELPER.email, 30)
    service, queue, history = deletion(records, bookings)
    history.passes = [Pass("biz", HELPER.email, f"p{i:03d}", "prod", "10 classes", 10, 0,
                           Eligibility(ticket_ids=("t1",)), ExpiryRule(ExpiryKind.DAYS_FROM_PURCHASE, days=90), NOW,
                           purchase_ref=f"cs_{i}", price_minor=9000) for i in range(60)]
    history.payments = [PaymentRecord("biz", f"pi_{i}", HELPER.email, PaymentKind.CHARGE, "booking", 1500, "EUR", NOW)
                        for i in range(40)]
    history.enrolments = [Enrolment("biz", f"course{i}", HELPER.email, "staff", NOW) for i in range(30)]
    service.delete(STAFF, HELPER.email)
    drain(service, queue)
    assert {(e.course_id, e.email) for e in history.enrolments} == {(f"course{i}", PRIMARY.email) for i in range(30)}
    assert {p.email for p in history.passes} == {PRIMARY.email} and len(history.passes) == 60
    assert {(p.email, p.amount_minor) for p in history.payments} == {(PRIMARY.email, 1500)} and len(history.payments) == 40
    assert {b.booker_email for b in bookings.items.values()} == {PRIMARY.email}
    assert records.find("biz", HELPER.email) is None and history.largest == 25


def test_the_invitation_email_goes_once_and_only_while_the_invitation_stands():
    from chalicelib.services.customer_invitations import INVITE_KIND, AdditionalUserInvitations
    from tests.fakes.memberships import FakeBusinesses, FakeMailer

    records, queue, mailer = FakeCustomerRecords(PRIMARY, APP_USER), FakeQueue(), FakeMailer()
    invitations = AdditionalUserInvitations(records, FakeBusinesses(), lambda: queue, lambda: mailer)
    service = CustomerService(records, NoLinks(), clock=lambda: NOW, invited=invitations.enqueue)
    service.invite_additional_user(as_booker(PRIMARY), NewAdditionalUser("ned@example.com", "Ned"))
    service.invite_additional_user(as_booker(PRIMARY), NewAdditionalUser(APP_USER.email))
    assert [k for k, _ in queue.sent] == [INVITE_KIND, INVITE_KIND]
    records.delete(records.get("biz", "ned@example.com"))  # withdrawn before the worker ran
    for _, body in queue.sent * 2:  # each delivered twice
        invitations.deliver(body)
    assert [(template, to) for template, to, _, _ in mailer.outbox] == [("additional_user_invitation", APP_USER.email)]
    assert mailer.outbox[0][2]["inviter"] == PRIMARY.email  # no name on the record: the address


def test_a_deleted_additional_user_leaves_their_waitlists(world):
    """X2 + C6: sign-ups are dropped, not moved (their primary may already wait on that entry)."""
    from chalicelib.domain.waitlists import Waiter
    from tests.fakes.waitlists import FakeWaitlistStore

    records, bookings, _ = world
    service, queue, _history = deletion(records, bookings)
    line = FakeWaitlistStore(bookings)
    line.add(Waiter("biz", "e1", HELPER.email, "w1", "t1", (), "auto", 1000, NOW), NOW)
    line.add(Waiter("biz", "e1", PRIMARY.email, "w2", "t1", (), "auto", 2000, NOW), NOW)
    service.waitlist = lambda: line
    service.delete(STAFF, HELPER.email)
    drain(service, queue)
    assert [w.email for w in line.items.values()] == [PRIMARY.email] and line.waiting("biz", "e1") == 1
    assert records.find("biz", HELPER.email) is None
