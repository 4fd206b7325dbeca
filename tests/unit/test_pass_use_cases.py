"""Pass use cases on in-memory stores: no table, no moto, just the service and its ports."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.domain.bookings import PassUseRef, SettlementKind
from chalicelib.domain.catalogue import Entry, Ticket
from chalicelib.domain.context import BookerContext, PublicContext, StaffContext
from chalicelib.domain.customers import Customer
from chalicelib.domain.errors import NotFoundError, RuleRefusedError
from chalicelib.domain.paging import PageRequest
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.ports.payments import CompletedCheckout
from chalicelib.services.passes import (
    EligibleTerms,
    ExpiryOverride,
    ExpiryTerms,
    IssuePass,
    NewPassProduct,
    PassPayment,
    PassService,
    UsesOverride,
)
from tests.fakes.passes import InMemoryPasses, InMemoryPassProducts
from tests.fakes.payments import OneAccount

NOW = datetime(2030, 1, 10, 9, tzinfo=UTC)
BIZ = Business("biz-a", "Studio", Plan.STANDARD, "Europe/Berlin")
JANE = "jane@x.org"
STAFF = StaffContext(BIZ, "staff-1")
YOGA = Entry("biz-a", "e1", "p1", "Yoga", datetime(2030, 1, 12, 9, tzinfo=UTC), datetime(2030, 1, 12, 10, tzinfo=UTC),
             capacity=10, tickets=(Ticket("t1", "Drop-in", 1500, "EUR"),))


class Customers:
    """Just what the pass use cases read and write of the customer records."""

    def __init__(self, *emails: str) -> None:
        self.known = {e: Customer("biz-a", e) for e in emails}
        self.primary: list[str] = []

    def get(self, business_id: str, email: str) -> Customer:
        if email not in self.known:
            raise NotFoundError(f"No customer with email '{email}'.")
        return self.known[email]

    def make_primary(self, business_id: str, email: str, at: datetime) -> None:
        self.primary.append(email)


@pytest.fixture
def world():
    products, passes, customers = InMemoryPassProducts(), InMemoryPasses(), Customers(JANE)
    service = PassService(products, passes, customers, payments=OneAccount(None), clock=lambda: NOW)
    product = service.create_product(STAFF, NewPassProduct(
        title="10 classes", price_minor=12000, uses=10, eligible=EligibleTerms(ticket_ids=("t1",)),
        expiry=ExpiryTerms("days_from_first_use", days=30)))
    return service, passes, customers, product


def test_archived_products_leave_the_shop_and_the_staff_list(world):
    service, _, _, product = world
    assert [p.product_id for p in service.on_sale(PublicContext(BIZ), PageRequest()).items] == [product.product_id]
    service.archive_product(STAFF, product.product_id)
    assert service.on_sale(PublicContext(BIZ), PageRequest()).items == []
    assert service.products_for_staff(STAFF, PageRequest()).items == []
    with pytest.raises(NotFoundError):
        service.product_for_staff(STAFF, product.product_id)


def test_a_paid_checkout_issues_one_pass_however_often_it_arrives(world):
    service, passes, customers, product = world
    done = CompletedCheckout("cs_1", "biz-a", "Jane@X.org", "pass", "pass-1", {"product_id": product.product_id}, 12000, "eur")
    service.complete_checkout(done)
    service.complete_checkout(done)
    booker = BookerContext(BIZ, "jane", JANE, Customer("biz-a", JANE))
    [mine] = service.mine(booker, PageRequest()).items
    assert (mine.title, mine.uses_left, mine.issued_by, mine.currency, mine.state.value) == (
        "10 classes", 10, "purchase", "EUR", "active")
    assert customers.primary == [JANE, JANE]


def test_overrides_keep_history_and_the_pass_pays_for_bookings(world):
    service, passes, _, product = world
    issued = service.issue_by_staff(STAFF, JANE, IssuePass(product.product_id))
    service.override_uses(STAFF, JANE, issued.pass_id, UsesOverride(uses_total=12))
    after = service.override_expiry(STAFF, JANE, issued.pass_id, ExpiryOverride(date=date(2030, 2, 1)))
    assert (after.uses_total, after.expiry.fixed_date, after.last_valid_day) == (12, date(2030, 2, 1), date(2030, 2, 1))
    assert [h.field for h in after.history] == ["uses_total", "expiry"] and after.history[0].who == "staff-1"

    settlement = PassPayment(passes, clock=lambda: NOW).settle(BIZ, YOGA, YOGA.ticket("t1"), JANE, 2)
    assert settlement.kind is SettlementKind.PASS
    assert settlement.ref == PassUseRef(issued.pass_id, "10 classes", after.revision, 12)


def test_a_revoked_pass_pays_for_nothing(world):
    service, passes, _, product = world
    issued = service.issue_by_staff(STAFF, JANE, IssuePass(product.product_id))
    service.revoke(STAFF, JANE, issued.pass_id)
    with pytest.raises(RuleRefusedError):
        PassPayment(passes, clock=lambda: NOW).settle(BIZ, YOGA, YOGA.ticket("t1"), JANE, 1)


def test_staff_cannot_issue_to_an_unknown_customer(world):
    service, _, _, product = world
    with pytest.raises(NotFoundError):
        service.issue_by_staff(STAFF, "nobody@x.org", IssuePass(product.product_id))
