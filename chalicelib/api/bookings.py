"""Bookers book and cancel; staff see an entry's bookings and can cancel any of them."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .framework import BOOKER, STAFF, ApiBlueprint, command, container

if TYPE_CHECKING:
    from ..domain.bookings import Booking
    from ..domain.context import BookerContext, StaffContext
    from ..domain.paging import Page, PageRequest
    from ..schemas.bookings import BookingIn

api = ApiBlueprint(__name__, tag="bookings", schemas="chalicelib.schemas.bookings")
MINE = "/v1/businesses/{business_id}/me"


@api.op("POST", f"{MINE}/bookings", summary="Book tickets on an entry", role=BOOKER, body="BookingIn",
        response="BookingOut", status=201)
def book(ctx: BookerContext, body: BookingIn) -> Booking:
    from ..services.bookings import BookTickets

    return container().bookings.book(ctx, command(BookTickets, body))


@api.op("GET", f"{MINE}/bookings", summary="My bookings, newest first", role=BOOKER, response="BookingOut", paginated=True)
def mine(ctx: BookerContext, page: PageRequest) -> Page[Booking]:
    return container().bookings.mine(ctx, page)


@api.op("GET", f"{MINE}/bookings/{{booking_id}}", summary="One of my bookings", role=BOOKER, response="BookingOut")
def one(ctx: BookerContext, booking_id: str) -> Booking:
    return container().bookings.get_for_booker(ctx, booking_id)


@api.op("POST", f"{MINE}/bookings/{{booking_id}}/cancel", summary="Cancel my booking", role=BOOKER, response="BookingOut")
def cancel_mine(ctx: BookerContext, booking_id: str) -> Booking:
    return container().bookings.cancel_mine(ctx, booking_id)


@api.op("GET", "/v1/manage/entries/{entry_id}/bookings", summary="An entry's bookings", role=STAFF, response="BookingOut",
        paginated=True)
def for_entry(ctx: StaffContext, entry_id: str, page: PageRequest) -> Page[Booking]:
    return container().bookings.for_entry(ctx, entry_id, page)


@api.op("POST", "/v1/manage/bookings/{booking_id}/cancel", summary="Cancel a booking", role=STAFF, response="BookingOut")
def cancel_any(ctx: StaffContext, booking_id: str) -> Booking:
    return container().bookings.cancel_any(ctx, booking_id)
