"""AccessService on fakes: who may act for which business, plan gates, booker linking, disabled records."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain.customers import Customer, CustomerKind
from chalicelib.domain.errors import ForbiddenError, NotFoundError, PlanRequiredError
from chalicelib.domain.tenancy import Business, Caller, Feature, Plan, Role
from chalicelib.services.access import AccessService
from tests.fakes.core import FakeBusinessStore, FakeCustomerStore

NOW = datetime(2030, 1, 1, tzinfo=UTC)
PAID = Business("paid", "Paid studio", Plan.STANDARD, "Europe/Berlin")
FREE = Business("free", "Free studio", Plan.FREE, "Europe/Berlin")
ANN = Caller("sub-ann", Role.BOOKER, email="ann@example.com")


def staff_of(business_id: str) -> Caller:
    return Caller(f"staff-{business_id}", Role.STAFF, business_id=business_id)


@pytest.fixture
def stores():
    return FakeBusinessStore(PAID, FREE), FakeCustomerStore()


@pytest.fixture
def access(stores):
    return AccessService(*stores, clock=lambda: NOW)


def test_staff_act_for_their_own_business(access):
    ctx = access.staff(staff_of("paid"), Feature.PASSES)
    assert ctx.business == PAID and ctx.subject == "staff-paid"


def test_staff_of_an_unknown_business_are_refused(access):
    with pytest.raises(ForbiddenError) as refused:
        access.staff(staff_of("ghost"), None)
    assert refused.value.status == 403 and refused.value.code == "unknown_business"


def test_the_wrong_role_is_refused(access):
    with pytest.raises(ForbiddenError):
        access.staff(ANN, None)
    with pytest.raises(ForbiddenError):
        access.booker(staff_of("paid"), "paid", None)


@pytest.mark.parametrize("feature", list(Feature))
def test_the_plan_gate_refuses_a_free_business_on_every_role(access, stores, feature):
    for call in (lambda: access.staff(staff_of("free"), feature), lambda: access.booker(ANN, "free", feature),
                 lambda: access.public("free", feature)):
        with pytest.raises(PlanRequiredError) as refused:
            call()
        assert refused.value.status == 402 and refused.value.details["required_plan"] == "standard"
    assert stores[1].items == {}  # gated before linking: no customer record made at a business that refused
    assert access.public("free", None).business == FREE


def test_public_unknown_business_is_not_found(access):
    with pytest.raises(NotFoundError):
        access.public("ghost", None)


def test_a_booker_is_linked_on_first_call_then_served_from_the_cache(access, stores):
    _, customers = stores
    ctx = access.booker(ANN, "paid", None)
    record = customers.items[("paid", "ann@example.com")]
    assert ctx.customer == record and record.kind is CustomerKind.APP_USER and record.signed_in_at == NOW
    reads = customers.reads
    assert access.booker(ANN, "paid", Feature.PASSES).customer == record
    assert customers.reads == reads


def test_a_record_staff_made_first_is_the_one_linked(access, stores):
    _, customers = stores
    customers.create_if_missing(Customer("paid", "ann@example.com", name="Ann", kind=CustomerKind.PRIMARY))
    ctx = access.booker(ANN, "paid", None)
    assert ctx.customer.name == "Ann" and ctx.customer.kind is CustomerKind.PRIMARY
    assert customers.items[("paid", "ann@example.com")].signed_in_at == NOW


def test_a_disabled_customer_is_refused(access, stores):
    stores[1].create_if_missing(Customer("paid", "ann@example.com", disabled=True))
    with pytest.raises(ForbiddenError) as refused:
        access.booker(ANN, "paid", None)
    assert refused.value.status == 403 and refused.value.code == "customer_disabled"


def test_unlink_makes_the_next_call_read_the_record_again(access, stores):
    _, customers = stores
    access.booker(ANN, "paid", None)
    before = customers.items[("paid", "ann@example.com")]
    customers.save(before, replace(before, disabled=True))
    assert access.booker(ANN, "paid", None).customer == before  # still cached on this container
    access.unlink("paid", "ann@example.com")
    with pytest.raises(ForbiddenError) as refused:
        access.booker(ANN, "paid", None)
    assert refused.value.code == "customer_disabled"


def test_a_promoted_booker_is_primary_in_the_cache_without_a_reread():
    from chalicelib.domain.customers import Customer, CustomerKind
    from chalicelib.domain.tenancy import Caller, Plan, Role
    from chalicelib.services.access import AccessService
    from tests.fakes.core import FakeBusinessStore, FakeCustomerStore

    customers = FakeCustomerStore(Customer("biz", "amy@example.com", kind=CustomerKind.APP_USER))
    from chalicelib.domain.tenancy import Business

    access = AccessService(FakeBusinessStore(Business("biz", "Studio", Plan.STANDARD, "UTC")), customers)
    caller = Caller(subject="s", role=Role.BOOKER, email="amy@example.com")
    assert access.booker(caller, "biz", None).customer.kind is CustomerKind.APP_USER
    reads = customers.reads
    access.promoted("biz", "amy@example.com")
    assert access.booker(caller, "biz", None).customer.kind is CustomerKind.PRIMARY
    assert customers.reads == reads
