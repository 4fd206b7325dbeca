"""A held card booking cancelled before paying: its Stripe Checkout session is expired so it cannot be
paid; a payment that arrives anyway is refunded (the late-payment mechanism) and never re-takes the place."""
from __future__ import annotations

import pytest

from local.stripe_http import StripeError
from tests.conftest import booker_token
from tests.e2e.shops import DROP_IN, yoga_shop
from tests.stripe_support import deliver_new_events

BIZ, ANN = "biz-abandon", "ann@example.com"
MINE = f"/v1/businesses/{BIZ}/me"


@pytest.fixture
def shop(api):
    return yoga_shop(api, BIZ, capacity=2, tickets=[DROP_IN])


def hold_and_cancel(shop) -> tuple[dict, str]:
    entry = shop["entry"]
    held = shop["api"].call("POST", f"{MINE}/bookings", booker_token(ANN), {
        "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"]}).json
    assert held["status"] == "held"
    cancelled = shop["api"].call("POST", f"{MINE}/bookings/{held['booking_id']}/cancel", booker_token(ANN))
    assert cancelled.status_code == 200 and cancelled.json["refund"] is None
    return held, held["checkout_url"].rsplit("/", 1)[1]


def booked(shop) -> int:
    return shop["api"].call("GET", f"/v1/manage/entries/{shop['entry']['entry_id']}", shop["staff"]).json["booked"]


def test_cancelling_a_held_booking_expires_its_checkout_so_it_cannot_be_paid(shop):
    _, session = hold_and_cancel(shop)
    assert shop["provider"].objects[session]["status"] == "expired"
    with pytest.raises(StripeError):
        shop["provider"].pay_checkout(session)
    deliver_new_events(shop["api"], shop["provider"], shop["queue"], shop["seen"])  # its "expired" event: harmless
    assert booked(shop) == 0


def test_a_payment_that_arrives_anyway_is_refunded_and_does_not_retake_the_place(shop):
    held, session = hold_and_cancel(shop)
    shop["provider"].objects[session]["status"] = "open"  # paid in the same second as the cancellation
    shop["provider"].pay_checkout(session)
    deliver_new_events(shop["api"], shop["provider"], shop["queue"], shop["seen"])
    mine = shop["api"].call("GET", f"{MINE}/bookings/{held['booking_id']}", booker_token(ANN)).json
    assert mine["status"] == "cancelled" and booked(shop) == 0
    intent = shop["provider"].objects[session]["payment_intent"]
    assert [r["amount"] for r in shop["provider"].objects.values()
            if r.get("object") == "refund" and r["payment_intent"] == intent] == [1500]
    rows = shop["api"].call("GET", f"/v1/manage/customers/{ANN}/payments", shop["staff"]).json["items"]
    assert [(r["kind"], r["state"]) for r in rows] == [("refund", "succeeded"), ("charge", "refunded")]
