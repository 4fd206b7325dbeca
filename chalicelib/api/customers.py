"""Staff: customer records (C1, C2 in part, G4)."""
from __future__ import annotations

from ..domain.tenancy import Caller
from ..schemas.bookings import BookingOut
from ..schemas.customers import CustomerIn, CustomerOut, CustomerPatch, CustomerSearchQuery, ParticipantIn
from .framework import STAFF, ApiBlueprint, container
from .presenters import booking_out, customer_out

api = ApiBlueprint(__name__, tag="customers")
BASE = "/v1/manage/customers"


@api.op("GET", BASE, summary="Search customers by part of a name or email", role=STAFF, query=CustomerSearchQuery, response=list[CustomerOut])
def search(caller: Caller, query: CustomerSearchQuery) -> list[CustomerOut]:
    return [customer_out(c) for c in container().customers.search(caller, query)]


@api.op("POST", BASE, summary="Add a customer by email (harmless if known)", role=STAFF, body=CustomerIn, response=CustomerOut, status=201)
def create(caller: Caller, body: CustomerIn) -> CustomerOut:
    return customer_out(container().customers.create(caller, body))


@api.op("GET", f"{BASE}/{{email}}", summary="A customer's record", role=STAFF, response=CustomerOut)
def get(caller: Caller, email: str) -> CustomerOut:
    return customer_out(container().customers.get(caller, email))


@api.op("PATCH", f"{BASE}/{{email}}", summary="Rename, disable or re-enable a customer", role=STAFF, body=CustomerPatch, response=CustomerOut)
def update(caller: Caller, email: str, body: CustomerPatch) -> CustomerOut:
    return customer_out(container().customers.update(caller, email, body))


@api.op("POST", f"{BASE}/{{email}}/participants", summary="Add a participant", role=STAFF, body=ParticipantIn, response=CustomerOut, status=201)
def add_participant(caller: Caller, email: str, body: ParticipantIn) -> CustomerOut:
    return customer_out(container().customers.add_participant(caller, email, body))


@api.op("GET", f"{BASE}/{{email}}/bookings", summary="A customer's bookings, newest first", role=STAFF, response=list[BookingOut])
def bookings(caller: Caller, email: str) -> list[BookingOut]:
    customer = container().customers.get(caller, email)
    return [booking_out(b) for b in container().bookings.for_customer(caller, customer.email)]
