"""C6 erasure on request (GDPR art. 17), on in-memory fakes: refusals, bounded resumable moves, the remainder."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.bookings import Booking, BookingStatus, Settlement, SettlementKind
from chalicelib.domain.broadcasts import DeliveryState, MessageLogEntry
from chalicelib.domain.context import StaffContext
from chalicelib.domain.courses import Enrolment
from chalicelib.domain.customers import ERASED_NAME, Customer, CustomerKind, Participant
from chalicelib.domain.errors import ConflictError, ForbiddenError, NotFoundError
from chalicelib.domain.memberships import MemberRecord
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.services.customer_erasure import ERASE_KIND, CustomerErasure
from chalicelib.services.customers import CustomerChanges, CustomerService
from tests.fakes.core import FakeBookingStore, FakeCatalogueStore
from tests.fakes.customers import CrashError, FakeCustomerRecords
from tests.fakes.erasure import FakeErasureStore
from tests.fakes.memberships import FakeQueue

NOW = datetime(2030, 1, 1, 9, tzinfo=UTC)
BIZ = Business("biz", "Studio", Plan.STANDARD, "Europe/Berlin")
OWNER = StaffContext(BIZ, "owner-1", StaffRole.OWNER)
STAFF = StaffContext(BIZ, "staff-1")
PAT = Customer("biz", "pat@example.com", name="Pat Smith", kind=CustomerKind.PRIMARY, created_at=NOW,
               participants=(Participant("kid-1", "Kim Smith"),))


class Links:
    def __init__(self) -> None:
        self.unlinked: list[str] = []

    def unlink(self, business_id: str, email: str) -> None:
        self.unlinked.append(email)


def world(bookings_n: int = 0, passes_n: int = 0, messages_n: int = 0, payments_n: int = 0, enrolments_n: int = 0,
          **store_args):
    records, bookings = FakeCustomerRecords(PAT), FakeBookingStore(FakeCatalogueStore())
    for i in range(bookings_n):
        bookings.items[("biz", f"b{i:05d}")] = Booking(
            "biz", f"b{i:05d}", "e1", "t1", PAT.email, ("Kim Smith",), Settlement(SettlementKind.FREE),
            BookingStatus.CONFIRMED, NOW, NOW + timedelta(days=1))
    store = FakeErasureStore(records, bookings, **store_args)
    store.passes = [_pass(i) for i in range(passes_n)]
    store.payments = [_payment(i) for i in range(payments_n)]
    store.enrolments = [Enrolment("biz", f"course{i}", PAT.email, "purchase", NOW, f"sub_c{i}") for i in range(enrolments_n)]
    store.members = [MemberRecord("biz", "sub_1", "m1", PAT.email, "canceled", customer_id="cus_1")]
    store.messages = [MessageLogEntry("biz", PAT.email, f"m{i}", "Your knee, Pat", "email", DeliveryState.SENT, NOW)
                      for i in range(messages_n)]
    queue, links = FakeQueue(), Links()
    service = CustomerErasure(records, store, lambda: queue, links, per_transaction=25, per_message=4)
    return service, store, records, bookings, queue, links


def _pass(i: int):
    from chalicelib.domain.passes import Eligibility, ExpiryKind, ExpiryRule, Pass

    return Pass("biz", PAT.email, f"p{i:04d}", "prod", "10 classes", 10, 2, Eligibility(ticket_ids=("t1",)),
                ExpiryRule(ExpiryKind.DAYS_FROM_PURCHASE, days=90),
                NOW, purchase_ref=f"cs_test_{i}", price_minor=9000)


def _payment(i: int):
    from chalicelib.domain.payments import PaymentKind, PaymentRecord

    return PaymentRecord("biz", f"in_{i}", PAT.email, PaymentKind.INVOICE, "membership", 4900, "EUR", NOW,
                         membership_id="m1", subscription_id="sub_1")


def drain(service: CustomerErasure, queue: FakeQueue, store: FakeErasureStore | None = None) -> int:
    """Deliver until done; each delivery stays within its budget of 4 transactions."""
    deliveries = 0
    while queue.sent:
        kind, body = queue.sent.pop(0)
        assert kind == ERASE_KIND
        before = store.transactions if store else 0
        try:
            service.run(body)
        except CrashError:
            queue.sent.append((kind, body))  # not acknowledged: SQS delivers it again
        assert store is None or store.transactions - before <= 4
        deliveries += 1
    return deliveries


def test_erasure_keeps_the_records_under_a_pseudonym_and_forgets_the_person():
    service, store, records, bookings, queue, links = world(bookings_n=260, passes_n=30, messages_n=40, payments_n=30,
                                                            enrolments_n=30)
    started = service.erase(OWNER, "Pat@Example.com")
    assert started.state == "erasing" and started.erased_as.endswith("@erased.invalid")
    assert "pat" not in started.erased_as and links.unlinked == [PAT.email]
    assert records.get("biz", PAT.email).deleting  # the booker API refuses them from now on
    deliveries = drain(service, queue, store)
    as_id = started.erased_as
    assert records.find("biz", PAT.email) is None
    remainder = records.get("biz", as_id)
    assert (remainder.erased, remainder.name, remainder.primary_email) == (True, "", None)
    assert [p.name for p in remainder.participants] == [ERASED_NAME]
    assert len(bookings.items) == 260 and {b.booker_email for b in bookings.items.values()} == {as_id}
    assert {b.participants for b in bookings.items.values()} == {(ERASED_NAME,)}
    assert {(p.email, p.price_minor) for p in store.passes} == {(as_id, 9000)}
    assert [p.purchase_ref for p in store.passes] == [f"cs_test_{i}" for i in range(30)]  # payment records stay
    assert [(m.email, m.customer_id) for m in store.members] == [(as_id, "cus_1")]
    assert {(p.email, p.amount_minor, p.payment_id) for p in store.payments} == {  # B6 rows kept for the tax records
        (as_id, 4900, f"in_{i}") for i in range(30)}
    assert {(m.email, m.subject) for m in store.messages} == {(as_id, "(erased)")}
    assert {(e.course_id, e.email, e.subscription_id) for e in store.enrolments} == {  # on the roster, as the pseudonym
        (f"course{i}", as_id, f"sub_c{i}") for i in range(30)}
    # 11 + 2 + 1 + 2 + 2 + 2 transactions that move and one empty read per stage: 26, a step each for the
    # waitlists and the Stripe customers (one read of their ids), then one page of the business's records
    # (additional users): 29 steps, 4 a message; a finished stage is never read again
    assert store.largest == 25 and (store.transactions, store.pages_read, deliveries) == (26, 1, 8)
    assert store.customer_reads == 1


def test_an_erasure_that_crashes_resumes_from_what_is_left():
    service, store, records, bookings, queue, _ = world(bookings_n=120, passes_n=10, messages_n=5, crash_after=3)
    as_id = service.erase(OWNER, PAT.email).erased_as
    drain(service, queue)
    assert {b.booker_email for b in bookings.items.values()} == {as_id} and len(bookings.items) == 120
    assert records.get("biz", as_id).erased and records.find("biz", PAT.email) is None
    service.run({"business_id": "biz", "email": PAT.email, "erased_as": as_id})  # a late redelivery: nothing
    assert queue.sent == []


def test_asking_twice_keeps_the_first_pseudonym():
    service, _, _, _, queue, _ = world(bookings_n=3)
    first = service.erase(OWNER, PAT.email).erased_as
    assert service.erase(OWNER, PAT.email).erased_as == first
    drain(service, queue)
    with pytest.raises(NotFoundError):
        service.erase(OWNER, PAT.email)
    with pytest.raises(ConflictError) as again:
        service.erase(OWNER, first)
    assert again.value.code == "already_erased"


@pytest.mark.parametrize("store_args, code", [
    ({"live": 1}, "active_membership"),
    ({"open_checkouts": 1}, "open_checkout"),
])
def test_erasure_is_refused_while_something_may_still_be_paid(store_args, code):
    service, _, records, _, queue, _ = world(bookings_n=1, **store_args)
    with pytest.raises(ConflictError) as refused:
        service.erase(OWNER, PAT.email)
    assert (refused.value.status, refused.value.code) == (409, code)
    assert records.get("biz", PAT.email) == PAT and queue.sent == []  # nothing written


def test_only_an_owner_erases():
    service, _, records, _, queue, _ = world()
    with pytest.raises(ForbiddenError):
        service.erase(STAFF, PAT.email)
    assert records.get("biz", PAT.email) == PAT and queue.sent == []


def test_an_erased_record_takes_no_new_personal_data():
    service, _, records, _, queue, links = world()
    as_id = service.erase(OWNER, PAT.email).erased_as
    drain(service, queue)
    customers = CustomerService(records, links, clock=lambda: NOW)
    with pytest.raises(ConflictError) as refused:
        customers.update(STAFF, as_id, CustomerChanges(name="Pat again"))
    assert refused.value.code == "customer_erased"
    with pytest.raises(ConflictError):
        customers.add_participant(STAFF, as_id, "Kim")


def test_an_erased_primarys_additional_users_stand_on_their_own_afterwards():
    service, store, records, _, queue, _ = world(bookings_n=2)
    helpers = [Customer("biz", f"helper{i}@example.com", kind=CustomerKind.ADDITIONAL_USER, primary_email=PAT.email)
               for i in range(7)]
    other = Customer("biz", "olga@example.com", kind=CustomerKind.ADDITIONAL_USER, primary_email="zed@example.com")
    for c in (*helpers, other):
        records.items[("biz", c.email)] = c
    service.per_page = 3  # 9 records: pages of 3
    service.erase(OWNER, PAT.email)
    drain(service, queue, store)
    assert {(records.get("biz", h.email).kind, records.get("biz", h.email).primary_email) for h in helpers} == {
        (CustomerKind.APP_USER, None)}
    assert records.get("biz", other.email) == other  # someone else's additional user is left alone
    assert store.pages_read == 3  # the 9 records read once, in pages of 3


def test_a_non_primary_is_erased_without_reading_the_business_records():
    service, store, records, _, queue, _ = world(bookings_n=2)
    records.items[("biz", PAT.email)] = replace(PAT, kind=CustomerKind.APP_USER)
    service.erase(OWNER, PAT.email)
    drain(service, queue, store)
    assert store.pages_read == 0


def test_an_erased_customer_leaves_every_waitlist_and_others_stay_in_line():
    """X2 + C6: a sign-up names the person and is no registration to keep: erasure drops it (and its count)."""
    from chalicelib.domain.waitlists import Waiter
    from tests.fakes.waitlists import FakeWaitlistStore

    service, store, records, bookings, queue, _ = world(bookings_n=3)
    line = FakeWaitlistStore(bookings)
    for i, who in enumerate([PAT.email, "zoe@example.com", PAT.email]):
        line.add(Waiter("biz", f"e{i}", who, f"w{i}", "t1", (), "auto", 1000 * (i + 1), NOW), NOW)
    service.waitlist = lambda: line
    service.erase(OWNER, PAT.email)
    drain(service, queue, store)
    assert sorted((w.entry_id, w.email) for w in line.items.values()) == [("e1", "zoe@example.com")]
    assert (line.waiting("biz", "e0"), line.waiting("biz", "e1"), line.waiting("biz", "e2")) == (0, 1, 0)


class FlakyPayments:
    """``BusinessPayments`` over one fake account whose first redaction of ``fail_on`` is lost mid-way."""

    def __init__(self, fail_on: str | None = None) -> None:
        from tests.fakes.payments import FakePayments

        self.port, self.fail_on = FakePayments(), fail_on

    def for_business(self, business_id: str):
        return self

    def redact_customer(self, customer_id: str, erased_as: str) -> None:
        self.port.redact_customer(customer_id, erased_as)
        if customer_id == self.fail_on:
            self.fail_on = None
            raise CrashError("worker lost after Stripe answered")


def test_erasure_redacts_each_stripe_customer_of_the_person_once_across_redeliveries():
    service, store, records, _, queue, _ = world(bookings_n=2)
    store.members = [MemberRecord("biz", "sub_1", "m1", PAT.email, "canceled", customer_id="cus_1"),
                     MemberRecord("biz", "sub_2", "m2", PAT.email, "canceled", customer_id="cus_1"),
                     MemberRecord("biz", "sub_3", "m1", PAT.email, "canceled", customer_id="cus_2"),
                     MemberRecord("biz", "sub_4", "m1", PAT.email, "incomplete_expired"),  # never became a customer
                     MemberRecord("biz", "sub_9", "m1", "zoe@example.com", "active", customer_id="cus_9")]
    payments = FlakyPayments(fail_on="cus_2")
    service.payments = lambda: payments
    as_id = service.erase(OWNER, PAT.email).erased_as
    drain(service, queue, store)
    assert records.get("biz", as_id).erased
    redacted = {"name": None, "email": None, "phone": None, "metadata": {"erased": "true", "erased_as": as_id}}
    assert payments.port.customers == {"cus_1": redacted, "cus_2": redacted}  # zoe's cus_9 untouched
    # the crash after cus_2 made the stage run again: cus_1 asked twice, changed once (one idempotency key)
    assert payments.port.calls.count("redact_customer") == 4 and len(payments.port.redact_keys) == 2


def test_a_business_without_stripe_still_erases_and_leaves_the_stripe_customers():
    from chalicelib.domain.errors import StripeNotConnectedError

    class NotConnected:
        def for_business(self, business_id: str):
            raise StripeNotConnectedError("Connect Stripe first.")

    service, store, records, _, queue, _ = world(bookings_n=2)
    service.payments = lambda: NotConnected()
    as_id = service.erase(OWNER, PAT.email).erased_as
    drain(service, queue, store)
    assert records.get("biz", as_id).erased and records.find("biz", PAT.email) is None
    assert store.customer_reads == 1 and [m.customer_id for m in store.members] == ["cus_1"]
