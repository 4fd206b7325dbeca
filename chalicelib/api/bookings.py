"""Bookers book and cancel; staff see an entry's bookings and can cancel any of them."""
from __future__ import annotations

from ..domain.tenancy import Caller
from ..schemas.bookings import BookingIn, BookingOut
from .framework import BOOKER, STAFF, ApiBlueprint, container
from .presenters import booking_out

api = ApiBlueprint(__name__, tag="bookings")
MINE = "/v1/businesses/{business_id}/me"


def _linked(caller: Caller, business_id: str) -> None:
    container().businesses.get(business_id)
    container().customers.link_booker(business_id, caller)


@api.op("POST", f"{MINE}/bookings", summary="Book tickets on an entry", role=BOOKER, body=BookingIn, response=BookingOut, status=201)
def book(caller: Caller, business_id: str, body: BookingIn) -> BookingOut:
    _linked(caller, business_id)
    return booking_out(container().bookings.book(caller, business_id, body))


@api.op("GET", f"{MINE}/bookings", summary="My bookings, newest first", role=BOOKER, response=list[BookingOut])
def mine(caller: Caller, business_id: str) -> list[BookingOut]:
    _linked(caller, business_id)
    return [booking_out(b) for b in container().bookings.mine(caller, business_id)]


@api.op("GET", f"{MINE}/bookings/{{booking_id}}", summary="One of my bookings", role=BOOKER, response=BookingOut)
def one(caller: Caller, business_id: str, booking_id: str) -> BookingOut:
    _linked(caller, business_id)
    return booking_out(container().bookings.get_for_booker(caller, business_id, booking_id))


@api.op("POST", f"{MINE}/bookings/{{booking_id}}/cancel", summary="Cancel my booking", role=BOOKER, response=BookingOut)
def cancel_mine(caller: Caller, business_id: str, booking_id: str) -> BookingOut:
    _linked(caller, business_id)
    return booking_out(container().bookings.cancel(caller, business_id, booking_id))


@api.op("GET", "/v1/manage/entries/{entry_id}/bookings", summary="An entry's bookings", role=STAFF, response=list[BookingOut])
def for_entry(caller: Caller, entry_id: str) -> list[BookingOut]:
    return [booking_out(b) for b in container().bookings.for_entry(caller, entry_id)]


@api.op("POST", "/v1/manage/bookings/{booking_id}/cancel", summary="Cancel a booking", role=STAFF, response=BookingOut)
def cancel_any(caller: Caller, booking_id: str) -> BookingOut:
    return booking_out(container().bookings.cancel(caller, caller.staff_business(), booking_id))
