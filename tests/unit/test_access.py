"""AccessService on fakes: who may act for which business, plan gates, booker linking, disabled records."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain.customers import Customer, CustomerKind
from chalicelib.domain.errors import ForbiddenError, InvalidInputError, NotFoundError, PlanRequiredError
from chalicelib.domain.staff import StaffMember, StaffRole
from chalicelib.domain.tenancy import Business, Caller, Feature, Plan
from chalicelib.services.access import AccessService
from tests.fakes.core import FakeBusinessStore, FakeCustomerStore
from tests.fakes.staff import FakeStaffStore

NOW = datetime(2030, 1, 1, tzinfo=UTC)
PAID = Business("paid", "Paid studio", Plan.STANDARD, "Europe/Berlin")
FREE = Business("free", "Free studio", Plan.FREE, "Europe/Berlin")
ANN = Caller("sub-ann", email="ann@example.com")
MULTI = "sub-multi"  # staff of both businesses


def staff_of(business_id: str) -> Caller:
    return Caller(f"staff-{business_id}")


@pytest.fixture
def stores():
    records = FakeStaffStore(*(StaffMember(b, f"staff-{b}", StaffRole.STAFF) for b in ("paid", "free", "ghost")),
                             StaffMember("paid", MULTI, StaffRole.OWNER), StaffMember("free", MULTI, StaffRole.STAFF))
    return FakeBusinessStore(PAID, FREE), FakeCustomerStore(), records


@pytest.fixture
def access(stores):
    return AccessService(*stores, clock=lambda: NOW, operators={"op-1"})


def test_staff_act_for_their_own_business(access):
    ctx = access.staff(staff_of("paid"), Feature.PASSES)
    assert ctx.business == PAID and ctx.subject == "staff-paid"


def test_staff_of_an_unknown_business_are_refused(access):
    with pytest.raises(ForbiddenError) as refused:
        access.staff(staff_of("ghost"), None)
    assert refused.value.status == 403 and refused.value.code == "unknown_business"


def test_staff_of_several_businesses_name_one_with_the_header(access):
    with pytest.raises(InvalidInputError) as ambiguous:
        access.staff(Caller(MULTI), None)
    assert ambiguous.value.status == 400 and ambiguous.value.details == {"field": "X-Business-Id"}
    owner = access.staff(Caller(MULTI), None, "paid")
    assert (owner.business, owner.role, owner.is_owner) == (PAID, StaffRole.OWNER, True)
    assert access.staff(Caller(MULTI), None, "free").role is StaffRole.STAFF


def test_the_header_never_reaches_a_business_the_person_is_not_staff_of(access):
    with pytest.raises(ForbiddenError) as refused:
        access.staff(staff_of("paid"), None, "free")
    assert refused.value.code == "not_staff"
    assert access.staff(staff_of("paid"), None, "paid").business == PAID  # the header may name the only one


def test_a_removed_member_is_refused_on_the_next_request(access, stores):
    access.staff(staff_of("paid"), None)
    stores[2].remove("staff-paid", "paid")
    with pytest.raises(ForbiddenError) as refused:
        access.staff(staff_of("paid"), None)
    assert refused.value.code == "not_staff"


def test_only_listed_subjects_are_operators(access):
    assert access.operator(Caller("op-1")).subject == "op-1"
    for caller in (staff_of("paid"), ANN, Caller(MULTI)):
        with pytest.raises(ForbiddenError) as refused:
            access.operator(caller)
        assert refused.value.code == "not_operator"


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
    _, customers, _ = stores
    ctx = access.booker(ANN, "paid", None)
    record = customers.items[("paid", "ann@example.com")]
    assert ctx.customer == record and record.kind is CustomerKind.APP_USER and record.signed_in_at == NOW
    reads = customers.reads
    assert access.booker(ANN, "paid", Feature.PASSES).customer == record
    assert customers.reads == reads


def test_a_record_staff_made_first_is_the_one_linked(access, stores):
    _, customers, _ = stores
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
    _, customers, _ = stores
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
    from chalicelib.domain.tenancy import Caller, Plan
    from chalicelib.services.access import AccessService
    from tests.fakes.core import FakeBusinessStore, FakeCustomerStore
    from tests.fakes.staff import FakeStaffStore

    customers = FakeCustomerStore(Customer("biz", "amy@example.com", kind=CustomerKind.APP_USER))
    from chalicelib.domain.tenancy import Business

    access = AccessService(FakeBusinessStore(Business("biz", "Studio", Plan.STANDARD, "UTC")), customers, FakeStaffStore())
    caller = Caller(subject="s", email="amy@example.com")
    assert access.booker(caller, "biz", None).customer.kind is CustomerKind.APP_USER
    reads = customers.reads
    access.promoted("biz", "amy@example.com")
    assert access.booker(caller, "biz", None).customer.kind is CustomerKind.PRIMARY
    assert customers.reads == reads
