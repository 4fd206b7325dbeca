"""Staff: customer records (C1, C2 in part, G4)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..domain.tenancy import Feature
from .framework import STAFF, ApiBlueprint, command, container

if TYPE_CHECKING:
    from ..domain.bookings import Booking
    from ..domain.context import StaffContext
    from ..domain.customers import Customer
    from ..domain.paging import Page, PageRequest
    from ..domain.payments import PaymentRecord
    from ..schemas.customers import CustomerIn, CustomerPatch, CustomerSearchQuery, ParticipantIn
    from ..services.memberships.members import MemberView

api = ApiBlueprint(__name__, tag="customers", schemas="chalicelib.schemas.customers")
BASE = "/v1/manage/customers"


@api.op("GET", BASE, summary="Search customers by part of a name or email", role=STAFF, query="CustomerSearchQuery",
        response="CustomerOut", paginated=True)
def search(ctx: StaffContext, query: CustomerSearchQuery, page: PageRequest) -> Page[Customer]:
    from ..services.customers import CustomerQuery

    return container().customers.search(ctx, command(CustomerQuery, query), page)


@api.op("POST", BASE, summary="Add a customer by email (harmless if known)", role=STAFF, body="CustomerIn",
        response="CustomerOut", status=201)
def create(ctx: StaffContext, body: CustomerIn) -> Customer:
    from ..services.customers import NewCustomer

    return container().customers.create(ctx, command(NewCustomer, body))


@api.op("GET", f"{BASE}/{{email}}", summary="A customer's record", role=STAFF, response="CustomerOut")
def get(ctx: StaffContext, email: str) -> Customer:
    return container().customers.get(ctx, email)


@api.op("PATCH", f"{BASE}/{{email}}", summary="Rename, disable or re-enable a customer", role=STAFF, body="CustomerPatch",
        response="CustomerOut")
def update(ctx: StaffContext, email: str, body: CustomerPatch) -> Customer:
    from ..services.customers import CustomerChanges

    return container().customers.update(ctx, email, command(CustomerChanges, body))


@api.op("POST", f"{BASE}/{{email}}/participants", summary="Add a participant", role=STAFF, body="ParticipantIn",
        response="CustomerOut", status=201)
def add_participant(ctx: StaffContext, email: str, body: ParticipantIn) -> Customer:
    return container().customers.add_participant(ctx, email, body.name)


@api.op("GET", f"{BASE}/{{email}}/bookings", summary="A customer's bookings, newest first", role=STAFF,
        response="chalicelib.schemas.bookings:BookingOut", paginated=True)
def bookings(ctx: StaffContext, email: str, page: PageRequest) -> Page[Booking]:
    customer = container().customers.get(ctx, email)
    return container().bookings.for_customer(ctx, customer.email, page)


@api.op("GET", f"{BASE}/{{email}}/memberships", role=STAFF, feature=Feature.MEMBERSHIPS, paginated=True,
        response="chalicelib.schemas.memberships:SubscriberOut",
        summary="A customer's memberships: status, renewal or period end, cancel at period end, history")
def memberships(ctx: StaffContext, email: str, page: PageRequest) -> Page[MemberView]:
    customer = container().customers.get(ctx, email)  # 404 for a customer of no record here
    return container().member_actions.of_customer(ctx, customer.email, page)


@api.op("GET", f"{BASE}/{{email}}/payments", summary="A customer's payments and refunds, newest first (B6)", role=STAFF,
        response="chalicelib.schemas.payments:PaymentOut", paginated=True)
def payments(ctx: StaffContext, email: str, page: PageRequest) -> Page[PaymentRecord]:
    customer = container().customers.get(ctx, email)
    return container().payment_records.for_customer(ctx, customer.email, page)
