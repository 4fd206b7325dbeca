"""Paying for bookings end to end (B1, B2) through the local payment provider and the real event pipeline.

A paid ticket is held and a Stripe checkout (payment mode) opened; the provider's signed events go
through the webhook, SQS and the consumer; the place is confirmed once, released on expiry, re-taken
or refunded when the payment comes after the release. ``pay_with`` defaults to the first method that
works (offer, oldest pass, free, card), and a refusal says what would.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from tests.conftest import booker_token
from tests.e2e.shops import DROP_IN, OPEN_DAY, yoga_shop
from tests.stripe_support import deliver_new_events, sent_emails

BIZ, ANN, BEN = "biz-card", "ann@example.com", "ben@example.com"
MINE = f"/v1/businesses/{BIZ}/me"


@pytest.fixture
def shop(api):
    return yoga_shop(api, BIZ, capacity=2, tickets=[DROP_IN, OPEN_DAY]) | {"sessions": set()}


def deliver(shop) -> None:
    shop["seen"] = deliver_new_events(shop["api"], shop["provider"], shop["queue"], shop["seen"])


def book(shop, email: str = ANN, ticket: int = 0, **extra):
    entry = shop["entry"]
    return shop["api"].call("POST", f"{MINE}/bookings", booker_token(email), {
        "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][ticket]["ticket_id"], **extra})


def booked(shop) -> int:
    return shop["api"].call("GET", f"/v1/manage/entries/{shop['entry']['entry_id']}", shop["staff"]).json["booked"]


def status(shop, booking_id: str, email: str = ANN) -> str:
    return shop["api"].call("GET", f"{MINE}/bookings/{booking_id}", booker_token(email)).json["status"]


def session_of(shop, booking: dict) -> str:
    session_id = booking["checkout_url"].rsplit("/", 1)[1]
    shop["sessions"].add(session_id)
    return session_id


def test_paid_ticket_is_held_then_confirmed_once_with_one_email(shop):
    resp = book(shop, participants=["Bo"])
    assert resp.status_code == 201, resp.body
    booking = resp.json
    assert (booking["status"], booking["paid_with"], booking["seats"]) == ("held", "card", 2)
    assert booking["checkout_url"] and booking["expires_at"] and booking["payment"]["checkout_id"]
    assert booked(shop) == 2
    session = shop["provider"].objects[session_of(shop, booking)]
    assert session["mode"] == "payment" and session["metadata"]["purpose"] == "booking"
    assert int(session["_line_items"][0]["quantity"]) == 2

    before = len(shop["provider"].events)
    shop["provider"].pay_checkout(session["id"])
    deliver(shop)
    for evt in list(shop["provider"].events[before:]):  # Stripe delivers at least once: replay them
        shop["provider"].events.append(dict(evt, id=evt["id"] + "_again"))
    deliver(shop)

    assert status(shop, booking["booking_id"]) == "confirmed" and booked(shop) == 2
    mails = [m for m in sent_emails() if m["subject"] == f"Your booking at Studio {BIZ} is confirmed"]
    assert len(mails) == 1 and mails[0]["to"] == ANN
    assert "Tue 2 Dec, 18:00" in mails[0]["text"] and "T17:00" not in mails[0]["text"]  # Berlin time, in words


def test_expired_checkout_gives_the_place_back(shop):
    booking = book(shop).json
    assert booked(shop) == 1
    shop["provider"].expire_checkout(session_of(shop, booking))
    deliver(shop)
    assert status(shop, booking["booking_id"]) == "cancelled" and booked(shop) == 0


def test_payment_after_release_retakes_a_free_place(shop):
    booking = book(shop).json
    shop["provider"].expire_checkout(session_of(shop, booking))
    deliver(shop)
    shop["provider"].objects[session_of(shop, booking)]["status"] = "open"  # paid in the last second
    shop["provider"].pay_checkout(session_of(shop, booking))
    deliver(shop)
    assert status(shop, booking["booking_id"]) == "confirmed" and booked(shop) == 1


def test_payment_after_release_of_a_taken_place_is_refunded(shop):
    first = book(shop, participants=["Bo"]).json
    shop["provider"].expire_checkout(session_of(shop, first))
    deliver(shop)
    assert book(shop, BEN, ticket=1, participants=["Cy"]).status_code == 201  # the two places go to free tickets
    shop["provider"].objects[session_of(shop, first)]["status"] = "open"
    shop["provider"].pay_checkout(session_of(shop, first))
    deliver(shop)
    assert status(shop, first["booking_id"]) == "cancelled" and booked(shop) == 2
    assert [r["amount"] for r in refunds(shop)] == [3000]


def test_auto_uses_an_eligible_pass_without_naming_it(shop):
    api, staff, entry = shop["api"], shop["staff"], shop["entry"]
    product = api.call("POST", "/v1/manage/pass-products", staff, {
        "title": "5 classes", "price_minor": 6000, "currency": "eur", "uses": 5,
        "eligible": {"ticket_ids": [entry["tickets"][0]["ticket_id"]]}, "expiry": {"kind": "days_from_purchase", "days": 3650}})
    api.call("POST", "/v1/manage/customers", staff, {"email": ANN})
    assert api.call("POST", f"/v1/manage/customers/{ANN}/passes", staff,
                    {"product_id": product.json["product_id"]}).status_code == 201
    resp = book(shop)
    assert resp.status_code == 201 and (resp.json["paid_with"], resp.json["status"]) == ("pass", "confirmed")
    assert resp.json["checkout_url"] is None
    # Without a pass, the same call goes to card.
    other = book(shop, BEN)
    assert (other.json["paid_with"], other.json["status"]) == ("card", "held")


def test_an_explicit_choice_that_cannot_pay_says_what_would(shop):
    no_pass = book(shop, pay_with="pass")
    assert no_pass.status_code == 409 and no_pass.json["error"]["reason"] == "no_eligible_pass"
    assert no_pass.json["error"]["try"] == ["card"]
    free_by_card = book(shop, ticket=1, pay_with="card")
    assert free_by_card.status_code == 409
    assert free_by_card.json["error"]["reason"] == "payment_method_unavailable"
    assert book(shop, ticket=1).json["paid_with"] == "free"
    assert book(shop, BEN, pay_with="card").json["paid_with"] == "card"


def paid_booking(shop, email: str = ANN) -> dict:
    booking = book(shop, email).json
    shop["provider"].pay_checkout(session_of(shop, booking))
    deliver(shop)
    return booking


def refunds(shop) -> list[dict]:
    """Refunds of this test's payments (the local provider lives as long as the test process)."""
    ours = {o["payment_intent"] for o in shop["provider"].objects.values()
            if o.get("object") == "checkout.session" and o["id"] in shop["sessions"]}
    return [o for o in shop["provider"].objects.values() if o.get("object") == "refund" and o["payment_intent"] in ours]


@pytest.mark.parametrize("who", ["booker", "staff"])
def test_cancelling_a_paid_booking_refunds_it_in_full_by_default(shop, who):
    booking = paid_booking(shop)
    path = (f"{MINE}/bookings/{booking['booking_id']}/cancel" if who == "booker"
            else f"/v1/manage/bookings/{booking['booking_id']}/cancel")
    resp = shop["api"].call("POST", path, booker_token(ANN) if who == "booker" else shop["staff"])
    assert resp.status_code == 200, resp.body
    assert resp.json["refund"] == {"amount_minor": 1500, "currency": "EUR", "state": "refunded"}
    assert [r["amount"] for r in refunds(shop)] == [1500]
    again = shop["api"].call("GET", f"{MINE}/bookings/{booking['booking_id']}", booker_token(ANN)).json
    assert again["refund"]["amount_minor"] == 1500 and again["status"] == "cancelled"


@pytest.mark.parametrize(("settings", "refunded"), [({"refund_policy": "none"}, None),
                                                    ({"refund_policy": "full_until", "refund_hours_before": 24}, 1500),
                                                    ({"refund_policy": "full_until", "refund_hours_before": 48}, None)])
def test_the_business_refund_policy_decides(shop, settings, refunded):
    assert shop["api"].call("PATCH", "/v1/manage/business", shop["staff"], settings).status_code == 200
    with time_machine.travel(datetime(2031, 12, 1, 0, 0, tzinfo=UTC)):  # 41 h before the 18:00 Berlin start
        booking = paid_booking(shop)
        resp = shop["api"].call("POST", f"{MINE}/bookings/{booking['booking_id']}/cancel", booker_token(ANN)).json
    assert (resp["refund"] or {}).get("amount_minor") == refunded
    assert len(refunds(shop)) == (1 if refunded else 0)


def test_cancelling_an_unpaid_hold_refunds_nothing(shop):
    booking = book(shop).json
    resp = shop["api"].call("POST", f"{MINE}/bookings/{booking['booking_id']}/cancel", booker_token(ANN)).json
    assert resp["status"] == "cancelled" and resp["refund"] is None and refunds(shop) == []


def test_every_confirmed_booking_and_every_cancellation_is_mailed_once_with_local_times(shop):
    free = book(shop, ticket=1).json
    deliver(shop)
    cancelled = shop["api"].call("POST", f"{MINE}/bookings/{free['booking_id']}/cancel", booker_token(ANN))
    assert cancelled.status_code == 200
    paid = paid_booking(shop, BEN)
    shop["api"].call("POST", f"/v1/manage/bookings/{paid['booking_id']}/cancel", shop["staff"])
    deliver(shop)
    deliver(shop)  # nothing new: each notice was mailed once
    mails = sorted((m["to"], m["subject"]) for m in sent_emails())
    assert mails == [(ANN, f"Your booking at Studio {BIZ} is cancelled"), (ANN, f"Your booking at Studio {BIZ} is confirmed"),
                     (BEN, f"Your booking at Studio {BIZ} is cancelled"), (BEN, f"Your booking at Studio {BIZ} is confirmed")]
    texts = [m["text"] for m in sent_emails()]
    assert all("Tue 2 Dec, 18:00" in t for t in texts)
    assert any("15.00" in t and "refunded" in t for t in texts if "cancelled" in t)
