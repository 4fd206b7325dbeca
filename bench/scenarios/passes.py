"""Passes: booking with a pass (P4) and listing a customer's passes (P3), plus overrides (P5–P7).

The customer holds three used-up older passes before the good one, so the figures show that skipping
passes costs nothing extra: one Query reads them all.
"""
from __future__ import annotations

from typing import Any

from . import World, scenario

BOOKER = "booker@example.com"


def pass_holder(world: World, older_used_up: int = 3) -> tuple[dict[str, Any], dict[str, Any]]:
    """An entry with a paid ticket, and the booker holding ``older_used_up`` spent passes then a good one."""
    entry = world.entry(price_minor=1500)
    ticket_id = entry["tickets"][0]["ticket_id"]

    def product(uses: int) -> str:
        return world.call("POST", "/v1/manage/pass-products", world.staff, {
            "title": f"{uses} classes", "price_minor": 1000 * uses, "uses": uses, "eligible": {"ticket_ids": [ticket_id]},
            "expiry": {"kind": "fixed_date", "date": "2030-12-31"}}, expect=201)["product_id"]

    single, ten = product(1), product(10)
    for _ in range(older_used_up):
        world.call("POST", f"/v1/manage/customers/{BOOKER}/passes", world.staff, {"product_id": single}, expect=201)
        world.call("POST", f"{world.mine}/bookings", world.booker,
                   {"entry_id": entry["entry_id"], "ticket_id": ticket_id, "pay_with": "pass"}, expect=201)
    good = world.call("POST", f"/v1/manage/customers/{BOOKER}/passes", world.staff, {"product_id": ten}, expect=201)
    return entry, good


@scenario("book with a pass, 3 older passes used up (booker)")
def book_with_pass(world: World) -> None:
    entry, good = pass_holder(world)
    with world.counted():
        booking = world.call("POST", f"{world.mine}/bookings", world.booker, {
            "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"], "pay_with": "pass"}, expect=201)
    assert booking["payment"]["pass_id"] == good["pass_id"]


@scenario("list a customer's passes, 4 passes (staff)")
def list_customer_passes(world: World) -> None:
    pass_holder(world)
    with world.counted():
        passes = world.call("GET", f"/v1/manage/customers/{BOOKER}/passes", world.staff)
    assert len(passes["items"]) == 4 and passes["next"] is None


@scenario("list my passes, 4 passes (booker)")
def list_my_passes(world: World) -> None:
    pass_holder(world)
    with world.counted():
        passes = world.call("GET", f"{world.mine}/passes", world.booker)
    assert len(passes["items"]) == 4 and passes["next"] is None


@scenario("override a pass's uses (staff)")
def override_uses(world: World) -> None:
    _, good = pass_holder(world, older_used_up=0)
    with world.counted():
        world.call("POST", f"/v1/manage/customers/{BOOKER}/passes/{good['pass_id']}/uses", world.staff, {"uses_total": 12})
