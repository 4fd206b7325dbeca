"""B6/B3: refunds as Stripe has them, through the local payment provider and the real event pipeline.

A refund made in the business's Stripe dashboard arrives only as ``charge.refunded``: the consumer re-reads
the charge's refunds on the business's account and records each once, next to (never on top of) the refunds
the app made itself. A refund that fails later, or that Stripe refuses outright, shows as ``failed``.
"""
from __future__ import annotations

import pytest

from tests.conftest import booker_token
from tests.e2e.shops import DROP_IN, yoga_shop
from tests.stripe_support import deliver_new_events

BIZ, ANN = "biz-refunds", "ann@example.com"
MINE = f"/v1/businesses/{BIZ}/me"


@pytest.fixture
def shop(api):
    return yoga_shop(api, BIZ, capacity=5, tickets=[DROP_IN])


def deliver(shop, twice: bool = False) -> None:
    """Deliver the provider's new events; ``twice``: then again under new event ids (Stripe redelivers)."""
    before = shop["seen"]
    shop["seen"] = deliver_new_events(shop["api"], shop["provider"], shop["queue"], shop["seen"])
    if twice:
        for evt in list(shop["provider"].events[before:shop["seen"]]):
            shop["provider"].events.append(dict(evt, id=evt["id"] + "_again"))
        shop["seen"] = deliver_new_events(shop["api"], shop["provider"], shop["queue"], shop["seen"])


def payments(shop) -> list[dict]:
    resp = shop["api"].call("GET", f"/v1/manage/customers/{ANN}/payments", shop["staff"])
    assert resp.status_code == 200, resp.body
    return resp.json["items"]


def paid_ticket(shop) -> tuple[dict, str]:
    entry = shop["entry"]
    booking = shop["api"].call("POST", f"{MINE}/bookings", booker_token(ANN), {
        "entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"]}).json
    shop["provider"].pay_checkout(booking["checkout_url"].rsplit("/", 1)[1])
    deliver(shop)
    [charge] = payments(shop)
    return booking, charge["payment_intent_id"]


def rows(shop) -> list[tuple[str, int, str, int]]:
    return [(p["kind"], p["amount_minor"], p["state"], p["refunded_minor"]) for p in payments(shop)]


def test_dashboard_refunds_are_recorded_once_each_and_turn_the_payment(shop):
    _, intent = paid_ticket(shop)
    first = shop["provider"].dashboard_refund(intent, 500)
    deliver(shop, twice=True)
    assert rows(shop) == [("refund", 500, "succeeded", 0), ("charge", 1500, "partially_refunded", 500)]
    refund, charge = payments(shop)
    assert (refund["refund_id"], refund["refund_of"], refund["purpose"]) == (first["id"], charge["payment_id"], "booking")
    assert refund["booking_ids"] == charge["booking_ids"]
    shop["provider"].dashboard_refund(intent)  # the rest
    deliver(shop, twice=True)
    assert rows(shop)[0] == ("refund", 1000, "succeeded", 0) and rows(shop)[2] == ("charge", 1500, "refunded", 1500)
    assert len(rows(shop)) == 3


def test_the_apps_own_refund_after_a_dashboard_refund_gives_back_what_is_left_once(shop):
    booking, intent = paid_ticket(shop)
    dashboard = shop["provider"].dashboard_refund(intent, 300)
    deliver(shop, twice=True)
    cancelled = shop["api"].call("POST", f"{MINE}/bookings/{booking['booking_id']}/cancel", booker_token(ANN)).json
    assert cancelled["refund"] == {"amount_minor": 1200, "currency": "EUR", "state": "refunded"}
    deliver(shop, twice=True)  # charge.refunded of the app's refund: already recorded under its id
    assert rows(shop) == [("refund", 1200, "succeeded", 0), ("refund", 300, "succeeded", 0),
                          ("charge", 1500, "refunded", 1500)]
    assert payments(shop)[1]["refund_id"] == dashboard["id"]


def test_a_refund_that_fails_later_shows_failed_and_the_payment_is_paid_again(shop):
    booking, _ = paid_ticket(shop)
    shop["api"].call("POST", f"{MINE}/bookings/{booking['booking_id']}/cancel", booker_token(ANN))
    deliver(shop)
    [refund, _] = payments(shop)
    shop["provider"].fail_refund(refund["refund_id"])
    deliver(shop, twice=True)  # charge.refund.updated and refund.failed, each twice
    assert rows(shop) == [("refund", 1500, "failed", 0), ("charge", 1500, "paid", 0)]


def test_a_refund_stripe_refuses_is_failed_on_the_booking_and_on_the_record(shop):
    booking, intent = paid_ticket(shop)
    shop["provider"].dashboard_refund(intent)  # in full, its event not delivered yet
    cancelled = shop["api"].call("POST", f"{MINE}/bookings/{booking['booking_id']}/cancel", booker_token(ANN)).json
    assert cancelled["refund"] == {"amount_minor": 1500, "currency": "EUR", "state": "failed"}
    [refused, charge] = payments(shop)
    assert (refused["kind"], refused["state"], refused["amount_minor"], refused["refund_of"]) == (
        "refund", "failed", 1500, charge["payment_id"])
    assert refused["booking_ids"] == [booking["booking_id"]] and charge["state"] == "paid"
    deliver(shop, twice=True)  # then the dashboard's refund arrives
    assert sorted(rows(shop)) == [("charge", 1500, "refunded", 1500), ("refund", 1500, "failed", 0),
                                  ("refund", 1500, "succeeded", 0)]
