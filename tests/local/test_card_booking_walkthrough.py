"""The newcomer's paying walkthrough on `make run` (B1, B2, B4, B6), as README.md tells it, on free ports.

The seeded 15 EUR Drop-in is bought by card (a checkout paid at the local payment provider, confirmed
by its event, mailed once); a pass is used without naming it; a second membership checkout request
gets the open one back, so the membership cannot be billed twice.
"""
from __future__ import annotations

import pytest

from local.settings import DEMO_BOOKER
from tests.local.test_local_stack import RunningStack, eventually
from tests.local.test_membership_walkthrough import BUSINESS, Walk, stop

pytestmark = pytest.mark.xdist_group("local_stack")


def test_drop_in_by_card_a_pass_without_naming_it_and_one_membership_checkout(tmp_path):
    stack = RunningStack(tmp_path)
    try:
        stack.wait_for("Ready:")
        walk = Walk(stack)
        entries = walk.get(f"{BUSINESS}/pages/demo-classes/entries").json()["items"]
        drop_ins = [(e["entry_id"], t["ticket_id"]) for e in entries for t in e["tickets"] if t["title"] == "Drop-in"]
        (entry, ticket), (other_entry, other_ticket) = drop_ins[:2]

        # B1: no pay_with: the paid ticket goes to card; the place is held until the checkout is paid.
        held = walk.post(f"{BUSINESS}/me/bookings", {"entry_id": entry, "ticket_id": ticket}, walk.booker)
        assert held.status_code == 201, held.text
        assert (held.json()["status"], held.json()["paid_with"]) == ("held", "card") and held.json()["checkout_url"]
        walk.pay(held.json()["checkout_url"].rsplit("/", 1)[1])
        mine = f"{BUSINESS}/me/bookings/{held.json()['booking_id']}"
        assert eventually(lambda: walk.get(mine, walk.booker).json()["status"] == "confirmed", timeout=20), stack.output
        # B6: staff see the payment on the customer's record, with its Stripe ids.
        payments = f"/v1/manage/customers/{DEMO_BOOKER}/payments"
        assert eventually(lambda: [(p["kind"], p["amount_minor"], p["state"]) for p in
                                   walk.get(payments, walk.staff).json()["items"]] == [("charge", 1500, "paid")],
                          timeout=20), walk.get(payments, walk.staff).text

        # B2: a pass the booker holds pays without being named.
        product = walk.post("/v1/manage/pass-products", {
            "title": "5 drop-ins", "price_minor": 6000, "uses": 5, "eligible": {"ticket_ids": [other_ticket]},
            "expiry": {"kind": "days_from_purchase", "days": 365}}, walk.staff)
        assert product.status_code == 201, product.text
        issued = walk.post(f"/v1/manage/customers/{DEMO_BOOKER}/passes", {"product_id": product.json()["product_id"]},
                           walk.staff)
        assert issued.status_code == 201, issued.text
        by_pass = walk.post(f"{BUSINESS}/me/bookings", {"entry_id": other_entry, "ticket_id": other_ticket}, walk.booker)
        assert (by_pass.json()["paid_with"], by_pass.json()["status"]) == ("pass", "confirmed"), by_pass.text

        # B4: asking twice for the membership's checkout hands back the same open one.
        body = {"membership_id": "demo-membership", "option_id": "demo-monthly"}
        first = walk.post(f"{BUSINESS}/me/membership-checkouts", body, walk.booker).json()
        second = walk.post(f"{BUSINESS}/me/membership-checkouts", body, walk.booker).json()
        assert (second["checkout_id"], second["session_id"]) == (first["checkout_id"], first["session_id"])

        expected = "Your booking at Demo Studio is confirmed"
        assert eventually(lambda: walk.subjects().count(expected) == 2, timeout=20), walk.subjects()
        stop(stack)
    finally:
        stack.kill_leftovers()
