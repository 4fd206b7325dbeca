"""Customer groups and offers: booking an exclusive ticket (O6) and the allowance view (O7)."""
from __future__ import annotations

from typing import Any

from . import World, scenario


def exclusive_entry(world: World) -> dict[str, Any]:
    """An entry whose ticket is exclusive to a group with a monthly offer; the booker is a member."""
    page = world.page("Members")
    group = world.call("POST", "/v1/manage/groups", world.staff, {"name": "Gold"}, expect=201)
    world.call("POST", f"/v1/manage/groups/{group['group_id']}/offers", world.staff, {
        "scope": {"page_id": page["page_id"]}, "usage": {"mode": "per_period", "uses": 10, "period": "month"}},
        expect=201)
    world.call("POST", f"/v1/manage/groups/{group['group_id']}/members", world.staff, {"emails": "booker@example.com"})
    return world.call("POST", "/v1/manage/entries", world.staff, {
        "page_id": page["page_id"], "title": "Members class", "starts_at": "2030-03-01T09:00:00",
        "ends_at": "2030-03-01T10:00:00", "capacity": 10,
        "tickets": [{"title": "Members only", "exclusive_group_id": group["group_id"]}]}, expect=201)


@scenario("book an exclusive ticket with an offer use (booker)")
def book_exclusive(world: World) -> None:
    entry = exclusive_entry(world)
    world.booking(entry)  # a use already taken this period: the steady state (counter continues)
    with world.counted():
        world.booking(entry)


@scenario("my allowances (booker)")
def my_allowances(world: World) -> None:
    world.booking(exclusive_entry(world))
    with world.counted():
        [allowance] = world.call("GET", f"{world.mine}/allowances", world.booker)["items"]
    assert allowance["uses_left"] == 9
