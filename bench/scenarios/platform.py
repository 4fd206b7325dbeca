"""The platform's operations: catalogue, bookings, customers."""
from __future__ import annotations

from . import World, scenario


@scenario("create entry (staff)")
def create_entry(world: World) -> None:
    page = world.page()
    with world.counted():
        world.entry(page["page_id"])


@scenario("list published entries of a page (public)")
def list_published_entries(world: World) -> None:
    page = world.page()
    for day in (1, 2, 3):
        world.entry(page["page_id"], day=day)
    with world.counted():
        entries = world.call("GET", f"/v1/businesses/{world.business_id}/pages/{page['page_id']}/entries")["items"]
    assert len(entries) == 3


@scenario("book a free ticket (booker)")
def book_free_ticket(world: World) -> None:
    entry = world.entry()
    with world.counted():
        world.booking(entry)


@scenario("cancel a booking (booker)")
def cancel_booking(world: World) -> None:
    booking = world.booking(world.entry())
    with world.counted():
        world.call("POST", f"{world.mine}/bookings/{booking['booking_id']}/cancel", world.booker)


@scenario("list my bookings (booker)")
def list_my_bookings(world: World) -> None:
    page = world.page()
    for day in (1, 2):
        world.booking(world.entry(page["page_id"], day=day))
    with world.counted():
        mine = world.call("GET", f"{world.mine}/bookings", world.booker)
    assert len(mine) == 2


@scenario("search customers by part of a name (staff)")
def search_customers(world: World) -> None:
    for email, name in (("ann@example.com", "Ann Smith"), ("bob@example.org", "Bob Smithers"), ("cy@example.net", "Cy")):
        world.call("POST", "/v1/manage/customers", world.staff, {"email": email, "name": name}, expect=201)
    with world.counted():
        found = world.call("GET", "/v1/manage/customers?q=smith", world.staff)
    assert {c["email"] for c in found["items"]} == {"ann@example.com", "bob@example.org"}
